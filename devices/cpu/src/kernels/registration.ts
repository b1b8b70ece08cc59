import type { DType, KernelFn, KernelRegistration } from "@polychip/hal";
import type { CpuBuffer } from "../device.ts";

export type CpuKernel = KernelFn<CpuBuffer>;
export type CpuRegistration = KernelRegistration<CpuBuffer>;

/** One registration for the cpu device. Every kernel takes every dtype its op's `infer` lets through. */
export function cpuKernel(op: string, kernel: CpuKernel, dtypes: readonly DType[] | "*" = "*"): CpuRegistration {
  return { device: "cpu", op, dtypes, kernel };
}
