import { KernelError, type Device, type DType, type KernelCall, type KernelRegistration } from "@polychip/hal";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import type { Dispatcher } from "../runtime/dispatch.ts";

export type WebGpuRegistration = KernelRegistration<WebGpuBuffer>;
export type WebGpuKernel = (call: KernelCall<WebGpuBuffer>, device: Dispatcher) => void;

export const FLOATS: readonly DType[] = ["float32", "float16"];
export const NUMERIC: readonly DType[] = ["float32", "float16", "int32", "int8", "uint8"];
export const ALL: readonly DType[] = [...NUMERIC, "bool"];
export const BOOLS: readonly DType[] = ["bool"];

function asDispatcher(op: string, device: Device<WebGpuBuffer>): Dispatcher {
  const d = device as unknown as Partial<Dispatcher>;
  if (typeof d.dispatch !== "function") {
    throw new KernelError(`webgpu: kernel '${op}' was launched on device '${device.info.name}', which is not a WebGPU device`);
  }
  return d as Dispatcher;
}

/** One registration: the HAL op, the dtypes of its first input (output for nullary ops) it accepts, and the kernel. */
export function webgpuKernel(op: string, dtypes: readonly DType[], kernel: WebGpuKernel): WebGpuRegistration {
  return { device: "webgpu", op, dtypes, kernel: (call, device) => kernel(call, asDispatcher(op, device)) };
}
