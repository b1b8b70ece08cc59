import { isTensor, type Tensor } from "../tensor.ts";

/**
 * What a replayed step may depend on in its arguments: each tensor's place, dtype, shape, layout
 * and device, and every other argument's value (primitives) or identity (objects, functions).
 * Two calls with the same signature may run the same captured plan with the new tensors bound.
 */
export interface CallSignature {
  readonly key: string;
  /** The argument tensors by path ("0", "1.x", ...). */
  readonly tensors: ReadonlyMap<string, Tensor>;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

function identity(o: object): number {
  let id = identities.get(o);
  if (id === undefined) identities.set(o, (id = nextIdentity++));
  return id;
}

const isPlain = (v: object) => Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null;

export function callSignature(args: readonly unknown[], context: string): CallSignature {
  const parts: string[] = [context];
  const tensors = new Map<string, Tensor>();
  const walk = (v: unknown, path: string, depth: number): void => {
    if (isTensor(v)) {
      if (v.isDisposed) {
        parts.push(`${path}=disposed#${v.id}`);
        return;
      }
      const view = v.view;
      parts.push(`${path}=T:${view.dtype}[${view.shape}]/[${view.strides}]+${view.offset}@${view.storage.device}#${view.storage.bytes}`);
      tensors.set(path, v);
    } else if (v === null || (typeof v !== "object" && typeof v !== "function")) {
      parts.push(`${path}=${typeof v}:${String(v)}`);
    } else if (depth < 4 && isPlain(v)) {
      const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v).sort();
      parts.push(`${path}=${Array.isArray(v) ? "[" : "{"}${keys.length}`);
      for (const k of keys) walk((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
    } else {
      parts.push(`${path}=ref#${identity(v)}`);
    }
  };
  args.forEach((a, i) => walk(a, String(i), 0));
  return { key: parts.join("\n"), tensors };
}

/** A returned value's shape with its tensors numbered in order of appearance: rebuilt with new tensors on replay. */
export type ResultShape =
  | { readonly tensor: number }
  | { readonly array: readonly ResultShape[] }
  | { readonly object: readonly (readonly [string, ResultShape])[] }
  | { readonly value: unknown };

/** The shape of `result` and its distinct tensors; an unsupported container (a Map, a class holding tensors) is named. */
export function resultShape(result: unknown): { shape: ResultShape; tensors: Tensor[]; problem?: string } {
  const tensors: Tensor[] = [];
  let problem: string | undefined;
  const walk = (v: unknown, depth: number): ResultShape => {
    if (isTensor(v)) {
      let i = tensors.indexOf(v);
      if (i < 0) i = tensors.push(v) - 1;
      return { tensor: i };
    }
    if (v === null || typeof v !== "object") return { value: v };
    if (Array.isArray(v) && depth < 4) return { array: v.map((x) => walk(x, depth + 1)) };
    if (depth < 4 && isPlain(v)) return { object: Object.entries(v).map(([k, x]) => [k, walk(x, depth + 1)] as const) };
    problem ??= `it returns a ${v.constructor?.name ?? "non-plain object"}, which replay cannot rebuild (return tensors, arrays or plain objects)`;
    return { value: v };
  };
  return { shape: walk(result, 0), tensors, problem };
}

export function buildResult(shape: ResultShape, tensors: readonly Tensor[]): unknown {
  if ("tensor" in shape) return tensors[shape.tensor];
  if ("array" in shape) return shape.array.map((s) => buildResult(s, tensors));
  if ("object" in shape) return Object.fromEntries(shape.object.map(([k, s]) => [k, buildResult(s, tensors)]));
  return shape.value;
}
