import type { DType, KernelFn, KernelRegistration } from "@polychip/hal";
import type { HostBuffer } from "@polychip/plugin-sdk";

export type NpuKernel = KernelFn<HostBuffer>;
export type NpuRegistration = KernelRegistration<HostBuffer>;

export function npuKernel(op: string, dtypes: readonly DType[], kernel: NpuKernel): NpuRegistration {
  return { device: "npu-sim", op, dtypes, kernel };
}
