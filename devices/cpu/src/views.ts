import {
  broadcastStrides,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  hostArray,
  isContiguous,
  sizeOf,
  stridedOffsets,
  type DType,
  type Shape,
  type TensorView,
} from "@polychip/hal";
import type { CpuBuffer } from "./device.ts";

export { stridedOffsets };

export type CpuView = TensorView<CpuBuffer>;

/** Storage elements as they sit in memory (float16 as its half bits). */
export type RawArray = Float32Array | Uint16Array | Int32Array | Int8Array | Uint8Array;

/** Element values a kernel computes with: float16 decoded to float32, everything else as stored. */
export type ValueArray = Float32Array | Int32Array | Int8Array | Uint8Array;

/** The whole buffer as the typed array of `dtype`; view offsets and strides index into it. */
export function rawArray(buffer: CpuBuffer, dtype: DType): RawArray {
  switch (dtype) {
    case "float32":
      return buffer.float32;
    case "float16":
      return buffer.uint16;
    case "int32":
      return buffer.int32;
    case "int8":
      return buffer.int8;
    case "uint8":
    case "bool":
      return buffer.uint8;
  }
}

/** A fresh typed array for values of `dtype` (float16 computes as float32): the HAL's host layout. */
export function valueArray(dtype: DType, length: number): ValueArray {
  return hostArray(dtype, length);
}

function rawArrayOfLength(dtype: DType, length: number): RawArray {
  return dtype === "float16" ? new Uint16Array(length) : valueArray(dtype, length);
}

/**
 * Copies the strided region (shape, strides, offset) of `src` into `dst` starting at `dstOffset`,
 * in row-major order. The innermost dimension runs as a tight loop; the others as an odometer.
 */
export function gatherStrided(
  src: ArrayLike<number>,
  offset: number,
  shape: Shape,
  strides: readonly number[],
  dst: { [i: number]: number },
  dstOffset = 0,
): void {
  const size = sizeOf(shape);
  if (size === 0) return;
  const rank = shape.length;
  if (rank === 0) {
    dst[dstOffset] = src[offset]!;
    return;
  }
  const n = shape[rank - 1]!;
  const s = strides[rank - 1]!;
  const counter = new Array<number>(rank).fill(0);
  let base = offset;
  for (let o = dstOffset, end = dstOffset + size; o < end; o += n) {
    for (let j = 0, p = base; j < n; j++, p += s) dst[o + j] = src[p]!;
    for (let d = rank - 2; d >= 0; d--) {
      base += strides[d]!;
      if (++counter[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      counter[d] = 0;
    }
  }
}

/** The inverse of gatherStrided: writes contiguous `src` (from `srcOffset`) into the strided region of `dst`. */
export function scatterStrided(
  src: ArrayLike<number>,
  srcOffset: number,
  dst: { [i: number]: number },
  offset: number,
  shape: Shape,
  strides: readonly number[],
): void {
  const size = sizeOf(shape);
  if (size === 0) return;
  const rank = shape.length;
  if (rank === 0) {
    dst[offset] = src[srcOffset]!;
    return;
  }
  const n = shape[rank - 1]!;
  const s = strides[rank - 1]!;
  const counter = new Array<number>(rank).fill(0);
  let base = offset;
  for (let o = srcOffset, end = srcOffset + size; o < end; o += n) {
    for (let j = 0, p = base; j < n; j++, p += s) dst[p] = src[o + j]!;
    for (let d = rank - 2; d >= 0; d--) {
      base += strides[d]!;
      if (++counter[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      counter[d] = 0;
    }
  }
}

/**
 * The storage elements of `view` read through (shape, strides) — by default the view's own — as a
 * contiguous row-major array. Shares memory with the buffer when the region is already contiguous,
 * so callers must not write to the result.
 */
export function readRaw(view: CpuView, shape: Shape = view.shape, strides: readonly number[] = view.strides): RawArray {
  const raw = rawArray(view.buffer, view.dtype);
  const size = sizeOf(shape);
  if (isContiguous(shape, strides)) return raw.subarray(view.offset, view.offset + size);
  const out = rawArrayOfLength(view.dtype, size);
  gatherStrided(raw, view.offset, shape, strides, out);
  return out;
}

let halfTable: Float32Array | undefined;

/** The float32 value of every float16 bit pattern (256 KiB, built once). */
export function halfDecodeTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) halfTable[b] = float16BitsToFloat32(b);
  }
  return halfTable;
}

/** float16 bits to float32 values, through the decode table. */
export function decodeHalf(bits: Uint16Array): Float32Array {
  const table = halfDecodeTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

/** Like readRaw, but float16 comes back decoded as float32. Read-only (may share the buffer). */
export function readValues(view: CpuView, shape: Shape = view.shape, strides: readonly number[] = view.strides): ValueArray {
  const raw = readRaw(view, shape, strides);
  return view.dtype === "float16" ? decodeHalf(raw as Uint16Array) : (raw as ValueArray);
}

/** The values of `view` broadcast (NumPy rules) to `target`, contiguous. */
export function broadcastValues(view: CpuView, target: Shape): ValueArray {
  return readValues(view, target, broadcastStrides(view.shape, view.strides, target));
}

/** The values of `view` with its dims reordered by `perm` (out dim i = view dim perm[i]), contiguous. */
export function permutedValues(view: CpuView, perm: readonly number[]): ValueArray {
  return readValues(
    view,
    perm.map((p) => view.shape[p]!),
    perm.map((p) => view.strides[p]!),
  );
}

/** Values of a small parameter tensor (bias, scale) as float64 numbers, contiguous. */
export function readNumbers(view: CpuView, shape: Shape = view.shape): Float64Array {
  return Float64Array.from(broadcastValues(view, shape));
}

/**
 * Where a kernel writes its (contiguous) output. `values` is the output memory itself, except for
 * float16, where it is a float32 scratch array that `commit` rounds to half precision.
 */
export interface Output {
  readonly values: ValueArray;
  commit(): void;
}

export function openOutput(view: CpuView): Output {
  const size = sizeOf(view.shape);
  if (!isContiguous(view.shape, view.strides)) {
    // The HAL promises contiguous outputs for every op but copy; accept anything by writing back through the strides.
    const values = valueArray(view.dtype, size);
    return { values, commit: () => writeValues(view, values) };
  }
  if (view.dtype === "float16") {
    const values = new Float32Array(size);
    const bits = view.buffer.uint16;
    return {
      values,
      commit: () => {
        for (let i = 0; i < size; i++) bits[view.offset + i] = float32ToFloat16Bits(values[i]!);
      },
    };
  }
  const values = (rawArray(view.buffer, view.dtype) as ValueArray).subarray(view.offset, view.offset + size);
  return { values, commit: () => {} };
}

/**
 * Where a kernel that only moves elements (where, pad, concat, gather) writes storage elements
 * unchanged, float16 bits included. Call `commit` when done.
 */
export function openRawOutput(view: CpuView): { readonly raw: RawArray; commit(): void } {
  const size = sizeOf(view.shape);
  const whole = rawArray(view.buffer, view.dtype);
  if (isContiguous(view.shape, view.strides)) return { raw: whole.subarray(view.offset, view.offset + size), commit: () => {} };
  const raw = rawArrayOfLength(view.dtype, size);
  return { raw, commit: () => scatterStrided(raw, 0, whole, view.offset, view.shape, view.strides) };
}

/** Writes contiguous values into any view, rounding float16. */
export function writeValues(view: CpuView, values: ArrayLike<number>): void {
  let src: ArrayLike<number> = values;
  if (view.dtype === "float16") {
    const bits = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) bits[i] = float32ToFloat16Bits(values[i]!);
    src = bits;
  }
  scatterStrided(src, 0, rawArray(view.buffer, view.dtype), view.offset, view.shape, view.strides);
}

/** A scratch copy of contiguous values of `dtype` that the caller may modify. */
export function mutableValues(view: CpuView): ValueArray {
  const values = readValues(view);
  const copy = valueArray(view.dtype, values.length);
  copy.set(values);
  return copy;
}
