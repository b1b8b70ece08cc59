import { ShapeError } from "./errors.ts";

export type Shape = readonly number[];

/** A dimension that may be a symbol: a size, or a name for a size known only at run time ("batch"). Equal names are equal sizes. */
export type Dim = number | string;

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides, in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(", ")}]`;
}

/** "float32[2, 3], float32[3]": dtypes and shapes, as every error message and event names tensors. */
export function describeTensors(ts: readonly { readonly dtype: string; readonly shape: Shape }[]): string {
  return ts.map((t) => `${t.dtype}${formatShape(t.shape)}`).join(", ");
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting of several shapes; `op` names the operation in the error. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else throw new ShapeError(`${op}: shapes ${shapes.map(formatShape).join(" and ")} cannot be broadcast together (dim ${o}: ${out[o]} vs ${d})`);
    }
  }
  return out;
}

/**
 * NumPy broadcasting of two shapes whose dims may be symbols. A symbol against 1 stays; against a
 * size n it becomes n, the only size that broadcasts; two different symbols cannot be told apart.
 */
export function broadcastDims(op: string, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let o = 0; o < rank; o++) {
    const x = a[o - rank + a.length] ?? 1;
    const y = b[o - rank + b.length] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === "string" && typeof y === "string") {
      throw new ShapeError(`${op}: cannot tell whether ${x} and ${y} broadcast (dim ${o} of ${formatShape(a)} and ${formatShape(b)})`);
    } else if (typeof x === "string" || typeof y === "string") out.push(typeof x === "number" ? x : y);
    else throw new ShapeError(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (dim ${o}: ${x} vs ${y})`);
  }
  return out;
}

/** Strides that read `shape` as if broadcast to `target` (stride 0 on broadcast dims). */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const lead = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 ? 0 : strides[i]!;
  return out;
}

/** Normalises a possibly negative axis against a rank, with an error naming the op. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

/**
 * Element offsets of every position of a strided region, in row-major order: the inner dimension a
 * tight loop, the outer ones an odometer. How a host-memory kernel reads any view (transposed,
 * sliced, broadcast with stride 0) through one flat index list.
 */
export function stridedOffsets(shape: Shape, strides: readonly number[], offset: number): Int32Array {
  const out = new Int32Array(sizeOf(shape));
  const rank = shape.length;
  if (out.length === 0) return out;
  if (rank === 0) {
    out[0] = offset;
    return out;
  }
  const n = shape[rank - 1]!;
  const s = strides[rank - 1]!;
  const counter = new Array<number>(rank).fill(0);
  let base = offset;
  for (let o = 0; o < out.length; o += n) {
    for (let j = 0, p = base; j < n; j++, p += s) out[o + j] = p;
    for (let d = rank - 2; d >= 0; d--) {
      base += strides[d]!;
      if (++counter[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      counter[d] = 0;
    }
  }
  return out;
}
