/// <reference types="@webgpu/types" preserve="true" />
export { WebGpuDevice, type WebGpuCreateOptions, type WebGpuDeviceOptions, type WebGpuStats } from "./device.ts";
export { WebGpuBuffer } from "./runtime/buffer.ts";
export { webgpuKernels } from "./kernels/index.ts";
export { webgpuPlugin, isWebGpuAvailable } from "./plugin.ts";
export { fusedShaderSource, type FusedSourceInput } from "./kernels/fused.ts";
