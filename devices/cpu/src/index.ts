import { HAL_VERSION, type DevicePlugin } from "@polychip/hal";
import { CpuDevice, type CpuDeviceOptions } from "./device.ts";
import { cpuKernels } from "./registrations.ts";
import { fusedSourceReport } from "./fast/fused.ts";
import { epilogueSourceReport } from "./kernels/epilogue.ts";
import { cpuConvLayout } from "./fast/conv-layout-nhwc.ts";

export { CpuBuffer, CpuDevice, type CpuDeviceOptions } from "./device.ts";
export { cpuKernels } from "./registrations.ts";
export { referenceKernels } from "./kernels/index.ts";
export { fusedKernelSource } from "./kernels/fused.ts";
export { fusedRunsInWasm, fusedWasmModule } from "./fast/fused.ts";
export type { FusedLayout } from "./kernels/fused-codegen.ts";
export type { CpuKernel, CpuRegistration } from "./kernels/registration.ts";
export { runOp, run, t, upload, uploadView, download, type HostInput, type HostOutput, type RunOptions } from "./testing.ts";
export { epilogueCases, EPILOGUE_PROGRAMS, type EpilogueCase } from "./epilogue-examples.ts";

/** The HAL entry point of the cpu device. */
export const cpuPlugin: DevicePlugin<CpuDeviceOptions> = {
  name: "cpu",
  halVersion: HAL_VERSION,
  create: (options) => {
    const device = new CpuDevice(options);
    const wasm = device.fast !== undefined;
    device.kernelSource = (op, inputs, attrs) =>
      op === "fused" ? fusedSourceReport(attrs, inputs, wasm) : epilogueSourceReport(op, inputs, attrs, (a, ins) => fusedSourceReport(a, ins, wasm));
    return device;
  },
  kernels: cpuKernels,
  preferredConvLayout: cpuConvLayout,
};
