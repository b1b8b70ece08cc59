import {
  contiguousStrides,
  dtypeBytes,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  getOp,
  hostArray,
  KernelRegistry,
  UnsupportedOpError,
  type Attrs,
  type DType,
  type HostArray,
  type Shape,
} from "@polychip/hal";
import { CpuDevice, type CpuBuffer } from "./device.ts";
import { cpuKernels } from "./kernels/index.ts";
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

export interface HostOutput {
  readonly shape: number[];
  readonly dtype: DType;
  /** float16 comes back as float32 values. */
  readonly values: HostArray;
}

export interface RunOptions {
  readonly device?: CpuDevice;
  /**
   * For ops whose output may be a strided view of an existing buffer (copy): the destination,
   * given like an input. The result's `values` are then the destination buffer's whole contents.
   */
  readonly into?: HostInput;
}

let sharedRegistry: KernelRegistry | undefined;

function registry(): KernelRegistry {
  if (!sharedRegistry) {
    sharedRegistry = new KernelRegistry();
    sharedRegistry.registerAll(cpuKernels);
  }
  return sharedRegistry;
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

/**
 * Runs one op on the cpu device the way the engine does: inputs uploaded as views, outputs
 * inferred by the HAL and allocated contiguous, the registered kernel launched, results read back.
 */
export function runOp(op: string, inputs: readonly HostInput[], attrs: Attrs = {}, options: RunOptions = {}): HostOutput[] {
  const device = options.device ?? new CpuDevice();
  const views = inputs.map((i) => uploadView(device, i));
  const metas = getOp(op).infer(views, attrs);
  const reg = registry().find("cpu", op, views[0]?.dtype ?? metas[0]!.dtype);
  if (!reg) throw new UnsupportedOpError(`cpu has no kernel for ${op}`);
  if (options.into) {
    const dst = uploadView(device, options.into);
    device.launch(reg.kernel, { op, inputs: views, outputs: [dst], attrs });
    return [{ shape: [...dst.shape], dtype: dst.dtype, values: download(device, dst.buffer, dst.dtype, options.into.values.length) }];
  }
  const outputs: CpuView[] = metas.map((m) => {
    const size = m.shape.reduce((a, b) => a * b, 1);
    return { buffer: device.alloc(size * dtypeBytes(m.dtype)), dtype: m.dtype, shape: m.shape, strides: contiguousStrides(m.shape), offset: 0 };
  });
  device.launch(reg.kernel, { op, inputs: views, outputs, attrs });
  return outputs.map((o) => ({
    shape: [...o.shape],
    dtype: o.dtype,
    values: download(device, o.buffer, o.dtype, o.shape.reduce((a, b) => a * b, 1)),
  }));
}

/** runOp for single-output ops, returning the values as a plain array (handy in assertions). */
export function run(op: string, inputs: readonly HostInput[], attrs: Attrs = {}, options: RunOptions = {}): number[] {
  return Array.from(runOp(op, inputs, attrs, options)[0]!.values);
}

/** Shorthand for a HostInput. */
export function t(values: ArrayLike<number>, shape: Shape, dtype: DType = "float32", view?: { strides?: number[]; offset?: number }): HostInput {
  return { values, shape, dtype, ...view };
}
