/** Loading the optional packages inside the worker, with the reason when one is not there. */
import { optionalPackages } from "virtual:polychip-optional";
import { FeatureUnavailableError } from "../user-api/helpers.ts";

export type OptionalId = keyof typeof optionalPackages;

const cache = new Map<OptionalId, Promise<Record<string, unknown>>>();

export function optionalPresent(id: OptionalId): { present: true } | { present: false; reason: string } {
  const entry = optionalPackages[id];
  return entry.present ? { present: true } : { present: false, reason: entry.reason ?? `${entry.what} is not in this build` };
}

export function loadOptionalPackage(id: OptionalId): Promise<Record<string, unknown>> {
  const entry = optionalPackages[id];
  if (!entry.present || !entry.load) return Promise.reject(new FeatureUnavailableError(entry.reason ?? `${entry.what} is not in this build`));
  let p = cache.get(id);
  if (!p) {
    p = entry.load().catch((err: Error) => {
      cache.delete(id);
      throw new FeatureUnavailableError(`${entry.what} (${entry.packageName}) failed to load: ${err.message}`);
    });
    cache.set(id, p);
  }
  return p;
}
