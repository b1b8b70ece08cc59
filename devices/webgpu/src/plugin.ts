import { HAL_VERSION, type DevicePlugin } from "@polychip/hal";
import { WebGpuDevice, type WebGpuCreateOptions } from "./device.ts";
import { webgpuKernels } from "./kernels/index.ts";
import { loadGpu } from "./runtime/gpu-loader.ts";

/** The HAL entry point: `create({ gpu? })` finds an adapter (navigator.gpu in browsers, Dawn in Node). */
export const webgpuPlugin: DevicePlugin<WebGpuCreateOptions> = {
  name: "webgpu",
  halVersion: HAL_VERSION,
  create: (options) => WebGpuDevice.create(options),
  kernels: webgpuKernels,
};

/** True when a WebGPU adapter can be had here (browser with WebGPU, or Node with Dawn and a Vulkan driver). */
export async function isWebGpuAvailable(gpu?: GPU): Promise<boolean> {
  try {
    const adapter = await (gpu ?? (await loadGpu())).requestAdapter();
    return adapter !== null;
  } catch {
    return false;
  }
}
