import {
  contiguousStrides,
  dtypeBytes,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  sizeOf,
  type Device,
  type DeviceBuffer,
  type DType,
  type TensorView,
} from "@polychip/hal";
import type { OutputLayout, TensorInput } from "./cases/types.ts";

/**
 * Numbers to the bytes a device stores them as: float16 as half bits, bool as 0/1, every type in
 * the host's byte order (devices view their memory through typed arrays too).
 */
export function encode(dtype: DType, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  switch (dtype) {
    case "float16": {
      const bits = new Uint16Array(n);
      for (let i = 0; i < n; i++) bits[i] = float32ToFloat16Bits(values[i]!);
      return new Uint8Array(bits.buffer);
    }
    case "bool": {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = values[i] !== 0 ? 1 : 0;
      return out;
    }
    default: {
      const array = dtype === "float32" ? new Float32Array(n) : dtype === "int32" ? new Int32Array(n) : dtype === "int8" ? new Int8Array(n) : new Uint8Array(n);
      array.set(values);
      return new Uint8Array(array.buffer);
    }
  }
}

/** Bytes back to numbers (float16 decoded). bool bytes other than 0 read as 1. */
export function decode(dtype: DType, bytes: Uint8Array): Float64Array {
  const n = Math.floor(bytes.byteLength / dtypeBytes(dtype));
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const ab = aligned.buffer;
  const at = aligned.byteOffset;
  switch (dtype) {
    case "float16": {
      const bits = new Uint16Array(ab, at, n);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = float16BitsToFloat32(bits[i]!);
      return out;
    }
    case "bool":
      return Float64Array.from(new Uint8Array(ab, at, n), (v) => (v !== 0 ? 1 : 0));
    case "float32":
      return new Float64Array(new Float32Array(ab, at, n));
    case "int32":
      return new Float64Array(new Int32Array(ab, at, n));
    case "int8":
      return new Float64Array(new Int8Array(ab, at, n));
    case "uint8":
      return new Float64Array(new Uint8Array(ab, at, n));
  }
}

/** Allocates and fills a buffer holding `t`'s storage; returns the view the kernel sees. */
export function upload<B extends DeviceBuffer>(device: Device<B>, t: TensorInput): TensorView<B> {
  const bytes = encode(t.dtype, t.storage);
  const buffer = device.alloc(bytes.byteLength);
  if (bytes.byteLength > 0) device.write(buffer, bytes, 0);
  return { buffer, dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset };
}

/** A pre-allocated output: contiguous, or the strided destination a `copy` case asks for (pre-filled). */
export function allocOutput<B extends DeviceBuffer>(device: Device<B>, dtype: DType, shape: readonly number[], layout?: OutputLayout): TensorView<B> {
  if (!layout) {
    const buffer = device.alloc(sizeOf(shape) * dtypeBytes(dtype));
    return { buffer, dtype, shape, strides: contiguousStrides(shape), offset: 0 };
  }
  const bytes = encode(dtype, new Array<number>(layout.storageLength).fill(layout.fill));
  const buffer = device.alloc(bytes.byteLength);
  device.write(buffer, bytes, 0);
  return { buffer, dtype, shape, strides: layout.strides, offset: layout.offset };
}

/** The values an output holds: its elements, or for a strided destination the whole buffer (so stray writes show). */
export async function download<B extends DeviceBuffer>(device: Device<B>, view: TensorView<B>, layout?: OutputLayout): Promise<Float64Array> {
  const elements = layout ? layout.storageLength : sizeOf(view.shape);
  const byteLength = elements * dtypeBytes(view.dtype);
  if (byteLength === 0) return new Float64Array(0);
  return decode(view.dtype, await device.read(view.buffer, 0, byteLength));
}
