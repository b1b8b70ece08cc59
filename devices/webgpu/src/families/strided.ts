import { broadcastStrides, contiguousStrides, type Shape, type TensorView } from "@polychip/hal";

/** Shape and per-operand strides after dropping size-1 dims and merging dims every operand walks contiguously. */
export interface Coalesced {
  readonly shape: number[];
  readonly strides: number[][];
}

export function coalesce(shape: Shape, strides: readonly (readonly number[])[]): Coalesced {
  const dims: number[] = [];
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1) dims.push(d);
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (const d of dims) {
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((st, k) => outStrides[k]![last] === st[d]! * shape[d]!);
    if (mergeable) {
      outShape[last] = outShape[last]! * shape[d]!;
      strides.forEach((st, k) => (outStrides[k]![last] = st[d]!));
    } else {
      outShape.push(shape[d]!);
      strides.forEach((st, k) => outStrides[k]!.push(st[d]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Strides of `view` read as if broadcast to `target` (NumPy rules; stride 0 on broadcast dims). */
export function stridesFor(view: Pick<TensorView, "shape" | "strides">, target: Shape): number[] {
  return broadcastStrides(view.shape, view.strides, target);
}

/** True when reading `strides` over `shape` visits consecutive elements in row-major order. */
export function walksContiguously(shape: Shape, strides: readonly number[]): boolean {
  const expected = contiguousStrides(shape);
  return shape.every((d, i) => d === 1 || strides[i] === expected[i]);
}
