import { broadcastStrides, sizeOf, stridedOffsets, type Shape } from "@polychip/hal";

/** Storage offsets of every element of a strided region, row-major (the HAL's `stridedOffsets`). */
export const elementOffsets = stridedOffsets;

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

/** The row-major output position of every input element of `shape` when `axes` are reduced away (keepDims does not move data). */
export function reducedPositions(shape: Shape, axes: readonly number[]): Int32Array {
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const map = new Int32Array(sizeOf(shape));
  forEachIndex(shape, (index, flat) => {
    let o = 0;
    for (const d of kept) o = o * shape[d]! + index[d]!;
    map[flat] = o;
  });
  return map;
}
