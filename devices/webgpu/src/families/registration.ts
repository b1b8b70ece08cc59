import { KernelError, type Device, type DType, type KernelCall, type KernelRegistration } from "@polychip/hal";
import type { WebGpuBuffer } from "../runtime/buffer.ts";
import type { Dispatcher } from "../runtime/dispatch.ts";

export type WebGpuRegistration = KernelRegistration<WebGpuBuffer>;
export type WebGpuKernel = (call: KernelCall<WebGpuBuffer>, device: Dispatcher) => void;
/** Kernels keyed by the HAL op each one runs, so a registration row names its op once. */
export type KernelFamily<Op extends string = string> = Readonly<Record<Op, WebGpuKernel>>;

export const FLOATS: readonly DType[] = ["float32", "float16"];
export const NUMERIC: readonly DType[] = ["float32", "float16", "int32", "int8", "uint8"];
/** NUMERIC without uint8 (the HAL leaves uint8 out of neg). */
export const SIGNED: readonly DType[] = NUMERIC.filter((d) => d !== "uint8");
export const ALL: readonly DType[] = [...NUMERIC, "bool"];
export const BOOLS: readonly DType[] = ["bool"];

function asDispatcher(op: string, device: Device<WebGpuBuffer>): Dispatcher {
  const d = device as unknown as Partial<Dispatcher>;
  if (typeof d.dispatch !== "function") {
    throw new KernelError(`webgpu: kernel '${op}' was launched on device '${device.info.name}', which is not a WebGPU device`);
  }
  return d as Dispatcher;
}

/** One registration: the HAL op, the dtypes of its first input (output for nullary ops) it accepts, and its kernel in `family`. */
export function register<Op extends string>(op: Op, dtypes: readonly DType[], family: KernelFamily<NoInfer<Op>>): WebGpuRegistration {
  const kernel = family[op];
  return { device: "webgpu", op, dtypes, kernel: (call, device) => kernel(call, asDispatcher(op, device)) };
}

/** A family built from a table of per-op specs (WGSL expressions, reducers), each kernel made once for its op. */
export function familyOf<Op extends string, Spec>(specs: Readonly<Record<Op, Spec>>, make: (op: NoInfer<Op>, spec: Spec) => WebGpuKernel): KernelFamily<Op> {
  const entries = Object.entries(specs) as [Op, Spec][];
  return Object.fromEntries(entries.map(([op, spec]) => [op, make(op, spec)])) as Record<Op, WebGpuKernel>;
}
