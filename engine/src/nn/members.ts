import { PolychipError } from "@polychip/hal";
import { Tensor } from "../tensor.ts";

/** The structural view of a module's own properties: child modules and parameters, each with its dotted name. */
export interface Members<M> {
  modules: [string, M][];
  parameters: [string, Tensor][];
}

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Walks `owner`'s own properties, and arrays, plain objects and Maps inside them, for modules and
 * parameters, so that `layers = { enc: new Linear(...) }` or `new Map([["a", conv]])` trains like
 * PyTorch's ModuleDict. What cannot be registered (a Set of modules, a Map with non-string keys)
 * is refused: a module held there would otherwise silently never train.
 */
export function collectMembers<M extends object>(owner: object, isModule: (v: unknown) => v is M, skip: ReadonlySet<string>): Members<M> {
  const out: Members<M> = { modules: [], parameters: [] };
  const ownerName = owner.constructor?.name ?? "Module";
  const visit = (name: string, value: unknown): void => {
    if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return;
    if (isModule(value)) {
      out.modules.push([name, value]);
      return;
    }
    if (value instanceof Tensor) {
      if (value.isParameter) out.parameters.push([name, value]);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(`${name}.${i}`, v));
      return;
    }
    if (value instanceof Map) {
      for (const [k, v] of value) {
        if (typeof k !== "string" && typeof k !== "number") {
          if (holdsTrainable(v, isModule))
            throw new PolychipError(
              `${ownerName}.${name}: a Map holding modules or parameters needs string keys (got a ${typeof k} key), or they could not be named in the state dict`,
            );
          continue;
        }
        visit(`${name}.${k}`, v);
      }
      return;
    }
    if (value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
      if (value instanceof Set && [...value].some((v) => holdsTrainable(v, isModule))) {
        throw new PolychipError(
          `${ownerName}.${name}: a Set cannot hold modules or parameters (they have no name to register under); use an array, a ModuleList or a ModuleDict`,
        );
      }
      return;
    }
    if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) visit(`${name}.${k}`, v);
      return;
    }
    // Another class instance (an optimiser, a tokenizer...) is not walked; one that holds modules or
    // parameters would hide them from the optimiser, so say so.
    if (holdsTrainable(value, isModule)) {
      throw new PolychipError(
        `${ownerName}.${name}: a ${value.constructor?.name ?? "object"} holding modules or parameters is not a module; make it extend Module so its parameters are registered`,
      );
    }
  };
  for (const [key, value] of Object.entries(owner)) {
    if (!skip.has(key)) visit(key, value);
  }
  return out;
}

/** Whether `v` directly holds a module or parameter (one level: enough to catch the common mistakes). */
function holdsTrainable(v: unknown, isModule: (v: unknown) => boolean): boolean {
  if (v === null || typeof v !== "object" || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return false;
  if (isModule(v) || (v instanceof Tensor && v.isParameter)) return true;
  const values = v instanceof Map || v instanceof Set ? [...v.values()] : Object.values(v);
  return values.some((x) => isModule(x) || (x instanceof Tensor && x.isParameter));
}

/**
 * Replaces tensors held in `owner`'s own properties (directly or in arrays, plain objects and Maps)
 * with `fn(t)` where `fn` returns a tensor, leaving the rest untouched. Used to change dtypes, where
 * the tensor object itself cannot stay the same.
 */
export function replaceOwnTensors(owner: object, fn: (t: Tensor) => Tensor | undefined, skip: ReadonlySet<string>): void {
  const swap = (value: unknown): unknown => {
    if (value instanceof Tensor) return fn(value) ?? value;
    if (Array.isArray(value)) value.forEach((v, i) => (value[i] = swap(v)));
    else if (value instanceof Map) for (const [k, v] of value) value.set(k, swap(v));
    else if (value !== null && typeof value === "object" && isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = swap(v);
    }
    return value;
  };
  for (const [key, value] of Object.entries(owner)) {
    if (skip.has(key)) continue;
    const next = swap(value);
    if (next !== value) (owner as Record<string, unknown>)[key] = next;
  }
}
