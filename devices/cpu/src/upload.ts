import { contiguousStrides, dtypeBytes, float16BitsToFloat32, float32ToFloat16Bits, hostArray, type DType, type HostArray, type Shape } from "@polychip/hal";
import type { CpuBuffer, CpuDevice } from "./device.ts";
import type { CpuView } from "./views.ts";

/**
 * Host values seen through a view: `values` fill a fresh buffer (float16 rounded to half bits), and
 * the kernel reads them through `shape`, `strides` (default: contiguous) and `offset` (default 0).
 */
export interface HostInput {
  readonly values: ArrayLike<number>;
  readonly shape: Shape;
  readonly dtype?: DType;
  readonly strides?: readonly number[];
  readonly offset?: number;
}

/** Encodes host numbers into a fresh buffer of `dtype` on `device`. */
export function upload(device: CpuDevice, values: ArrayLike<number>, dtype: DType): CpuBuffer {
  const buffer = device.alloc(values.length * dtypeBytes(dtype));
  if (dtype === "float16") {
    const bits = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) bits[i] = float32ToFloat16Bits(values[i]!);
    device.write(buffer, new Uint8Array(bits.buffer));
  } else {
    const typed = hostArray(dtype, values.length);
    typed.set(Array.from(values, (v) => (dtype === "bool" ? (v ? 1 : 0) : v)));
    device.write(buffer, new Uint8Array(typed.buffer));
  }
  return buffer;
}

/** A view of host values on `device` (see HostInput). */
export function uploadView(device: CpuDevice, input: HostInput): CpuView {
  const dtype = input.dtype ?? "float32";
  return {
    buffer: upload(device, input.values, dtype),
    dtype,
    shape: input.shape,
    strides: input.strides ?? contiguousStrides(input.shape),
    offset: input.offset ?? 0,
  };
}

/** The first `length` elements of `buffer` as host values (float16 decoded). */
export function download(device: CpuDevice, buffer: CpuBuffer, dtype: DType, length: number, offset = 0): HostArray {
  const bytes = device.readSync(buffer, offset * dtypeBytes(dtype), length * dtypeBytes(dtype));
  if (dtype === "float16") {
    const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, length);
    return Float32Array.from(bits, float16BitsToFloat32);
  }
  const out = hostArray(dtype, length);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
