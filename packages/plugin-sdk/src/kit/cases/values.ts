import { contiguousStrides, isFloat, randomUnit, roundToFloat16, sizeOf, type DType } from "@polychip/hal";
import type { TensorInput } from "./types.ts";
import { forEachIndex } from "../../host/strided.ts";

/** Deterministic values in [low, high], representable in `dtype` (integers for integer dtypes, 0/1 for bool). */
export function uniformValues(seed: number, count: number, low: number, high: number, dtype: DType): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const u = randomUnit(seed, i);
    out[i] = representable(low + u * (high - low), dtype);
  }
  return out;
}

/** Rounds a number to what a buffer of `dtype` can hold exactly, so both devices see the same input. */
export function representable(value: number, dtype: DType): number {
  switch (dtype) {
    case "float32":
      return Math.fround(value);
    case "float16":
      return roundToFloat16(value);
    case "bool":
      return value >= 0.5 ? 1 : 0;
    default:
      return Math.round(value);
  }
}

/** The edge values every kernel must survive, per dtype: NaN, ±Inf, ±0, denormals, extremes; range ends for integers. */
export function edgeValues(dtype: DType): number[] {
  switch (dtype) {
    case "float32":
      return [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -2.5, 1e-40, -1.4e-45, 1.1754944e-38, 3.4e38, -3.4e38, 65504, 1e-7].map(Math.fround);
    case "float16":
      return [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -2.5, 5.96e-8, -1e-5, 6.1035e-5, 65504, -65504, 1000, 1e-3].map(roundToFloat16);
    case "int32":
      return [-2147483648, 2147483647, -1, 0, 1, 65536, -65537, 1000];
    case "int8":
      return [-128, 127, -1, 0, 1, 100, -100, 64];
    case "uint8":
      return [0, 255, 1, 127, 128, 200, 2, 64];
    case "bool":
      return [0, 1];
  }
}

/** A typical value range for random inputs of a dtype. */
export function defaultRange(dtype: DType): [number, number] {
  switch (dtype) {
    case "int8":
      return [-20, 20];
    case "uint8":
      return [0, 30];
    case "int32":
      return [-1000, 1000];
    case "bool":
      return [0, 1];
    default:
      return [-3, 3];
  }
}

export function contiguous(dtype: DType, shape: readonly number[], values: ArrayLike<number>): TensorInput {
  if (values.length !== sizeOf(shape)) throw new Error(`kit bug: ${values.length} values for shape [${shape.join(", ")}]`);
  return { dtype, shape, strides: contiguousStrides(shape), offset: 0, storage: values, layout: "contiguous" };
}

/** Random contiguous tensor. */
export function random(seed: number, dtype: DType, shape: readonly number[], range: [number, number] = defaultRange(dtype)): TensorInput {
  return contiguous(dtype, shape, uniformValues(seed, sizeOf(shape), range[0], range[1], dtype));
}

/**
 * The same logical tensor stored transposed: the buffer holds the last two dims swapped and the
 * view swaps the strides back, so element order in memory differs from logical order.
 */
export function transposed(t: TensorInput): TensorInput {
  const r = t.shape.length;
  if (r < 2) throw new Error("kit bug: transposed needs rank >= 2");
  const physical = [...t.shape.slice(0, r - 2), t.shape[r - 1]!, t.shape[r - 2]!];
  const pStrides = contiguousStrides(physical);
  const storage = new Array<number>(sizeOf(physical));
  const logicalStrides = [...pStrides.slice(0, r - 2), pStrides[r - 1]!, pStrides[r - 2]!];
  forEachIndex(t.shape, (index, flat) => {
    let p = 0;
    for (let d = 0; d < r; d++) p += index[d]! * logicalStrides[d]!;
    storage[p] = t.storage[flat]!;
  });
  return { ...t, strides: logicalStrides, offset: 0, storage, layout: "transposed" };
}

/**
 * The same logical tensor viewed with a step of 2 along the last dim and an offset of 1, with a
 * poison value in the gaps: a kernel that ignores strides or offsets reads the poison.
 */
export function stepped(t: TensorInput, poison = t.dtype === "bool" ? 1 : isFloat(t.dtype) ? 77 : 9): TensorInput {
  const r = t.shape.length;
  const physical = r === 0 ? [2] : [...t.shape.slice(0, r - 1), t.shape[r - 1]! * 2];
  const pStrides = contiguousStrides(physical);
  const strides = r === 0 ? [] : [...pStrides.slice(0, r - 1), 2];
  const storage = new Array<number>(sizeOf(physical) + 1).fill(poison);
  forEachIndex(t.shape, (index, flat) => {
    let p = 1;
    for (let d = 0; d < r; d++) p += index[d]! * strides[d]!;
    storage[p] = t.storage[flat]!;
  });
  return { ...t, strides, offset: 1, storage, layout: "stepped" };
}

/** A view that repeats `row` (the last dim) along every leading dim with stride 0. */
export function broadcastRow(dtype: DType, shape: readonly number[], row: ArrayLike<number>): TensorInput {
  const r = shape.length;
  if (row.length !== shape[r - 1]) throw new Error("kit bug: broadcastRow length");
  const strides = shape.map((_, i) => (i === r - 1 ? 1 : 0));
  return { dtype, shape, strides, offset: 0, storage: Array.from(row), layout: "broadcast" };
}

/** Every pair of edge values, as two flat lists of equal length (a varies slowest). */
export function edgePairs(dtype: DType): [number[], number[]] {
  const e = edgeValues(dtype);
  const a: number[] = [];
  const b: number[] = [];
  for (const x of e)
    for (const y of e) {
      a.push(x);
      b.push(y);
    }
  return [a, b];
}

/** The first `n` values of `values` repeated as often as needed. */
export function cycled(values: readonly number[], n: number): number[] {
  return Array.from({ length: n }, (_, i) => values[i % values.length]!);
}

/**
 * The same contiguous tensor placed `at` elements into a larger buffer, poison before it: the view
 * the engine passes for a slice along the first dim. A kernel that ignores `offset` reads the poison.
 */
export function atOffset(t: TensorInput, at = 3, poison = t.dtype === "bool" ? 1 : isFloat(t.dtype) ? 77 : 9): TensorInput {
  return { ...t, offset: at, storage: [...new Array<number>(at).fill(poison), ...Array.from(t.storage)], layout: "offset" };
}
