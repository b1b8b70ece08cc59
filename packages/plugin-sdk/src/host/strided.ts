import { broadcastStrides, sizeOf, type Shape } from "@polychip/hal";

/**
 * Storage offsets of every element of the strided region (shape, strides, offset), in row-major
 * order. The innermost dimension is a tight loop, the outer ones an odometer, so a kernel can
 * read any view (transposed, sliced, broadcast with stride 0) through one flat index list.
 */
export function elementOffsets(shape: Shape, strides: readonly number[], offset: number): Int32Array {
  const out = new Int32Array(sizeOf(shape));
  if (out.length === 0) return out;
  const rank = shape.length;
  if (rank === 0) {
    out[0] = offset;
    return out;
  }
  const inner = shape[rank - 1]!;
  const step = strides[rank - 1]!;
  const counter = new Array<number>(rank).fill(0);
  let base = offset;
  for (let o = 0; o < out.length; o += inner) {
    for (let j = 0, p = base; j < inner; j++, p += step) out[o + j] = p;
    for (let d = rank - 2; d >= 0; d--) {
      base += strides[d]!;
      if (++counter[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      counter[d] = 0;
    }
  }
  return out;
}

/** Offsets of a view read as if broadcast (NumPy rules) to `target`. */
export function broadcastOffsets(view: { shape: Shape; strides: readonly number[]; offset: number }, target: Shape): Int32Array {
  return elementOffsets(target, broadcastStrides(view.shape, view.strides, target), view.offset);
}

/** Calls `fn` with the multi-index of every position of `shape`, row-major. The array is reused: copy it to keep it. */
export function forEachIndex(shape: Shape, fn: (index: readonly number[], flat: number) => void): void {
  const size = sizeOf(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < size; flat++) {
    fn(index, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
}
