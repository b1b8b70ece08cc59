import { HAL_VERSION, type DevicePlugin } from "@polychip/hal";
import { NpuSimDevice, type NpuSimOptions } from "./device.ts";
import { npuSimKernels } from "./kernels/index.ts";

export { NpuSimDevice, type NpuSimOptions } from "./device.ts";
export { MLU_CLASS_PROFILE, resolveProfile, type ChipProfile } from "./profile.ts";
export type { KernelStats } from "./chip/tile-program.ts";
export { npuSimKernels, pendingHalKernels } from "./kernels/index.ts";

/**
 * The HAL entry point of the simulated NPU. Ops without a kernel here (everything but matmul,
 * conv2d, pooling, add/mul/relu, softmax and the quantisation ops) fall back to the CPU.
 */
export const npuSimPlugin: DevicePlugin<NpuSimOptions> = {
  name: "npu-sim",
  halVersion: HAL_VERSION,
  create: (options) => new NpuSimDevice(options),
  kernels: npuSimKernels,
};

export default npuSimPlugin;
