import { HalVersionError } from "./errors.ts";

/**
 * The HAL version this package defines. Semantic versioning: a device built for HAL X.Y runs on
 * any HAL X.Z with Z >= Y (minor versions only add optional things); a different major is refused.
 */
export const HAL_VERSION = "1.10.0";

function parse(version: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function isHalCompatible(declared: string, host: string = HAL_VERSION): boolean {
  const d = parse(declared);
  const h = parse(host);
  return !!d && !!h && d[0] === h[0] && d[1] <= h[1];
}

/** Throws a HalVersionError naming both versions when `who` was built for an incompatible HAL. */
export function assertHalCompatible(who: string, declared: string, host: string = HAL_VERSION): void {
  if (!isHalCompatible(declared, host)) {
    throw new HalVersionError(
      `${who} was built for HAL ${declared}, but this engine implements HAL ${host}; ` +
        `a device must declare HAL ${parse(host)?.[0] ?? "?"}.x no newer than ${host}`,
    );
  }
}
