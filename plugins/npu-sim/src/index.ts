import { HAL_VERSION, type DevicePlugin } from "@polychip/hal";
import { claimSubgraphs } from "./claim.ts";
import { NpuSimDevice, type NpuSimOptions } from "./device.ts";
import { edgeInt8Kernels, npuSimKernels } from "./kernels/index.ts";
import type { NpuRegistration } from "./kernels/registration.ts";
import { EDGE_INT8_PROFILE } from "./profile.ts";
import { programListing } from "./program-listing.ts";

export { NpuSimDevice, type NpuSimOptions } from "./device.ts";
export { EDGE_INT8_PROFILE, MLU_CLASS_PROFILE, resolveProfile, type ChipProfile } from "./profile.ts";
export type { KernelStats } from "./chip/tile-program.ts";
export { npuSimKernels, pendingHalKernels } from "./kernels/index.ts";
export { claimSubgraphs } from "./claim.ts";

/**
 * The HAL entry point of the simulated NPU. Every required primitive runs on the chip (float32 on
 * the vector unit, float16 matmul/conv on the tensor unit); composites without a kernel run their
 * decomposition here. Sessions offer it whole graphs, and it claims the chains it can run on chip.
 */
export const npuSimPlugin: DevicePlugin<NpuSimOptions> = {
  name: "npu-sim",
  halVersion: HAL_VERSION,
  create: (options) => withListing(new NpuSimDevice(options), npuSimKernels),
  kernels: npuSimKernels,
  // Level 2: chains the chip runs without the host are claimed and run as units (claim.ts),
  // fused groups and GEMM epilogues included.
  claimSubgraphs,
  claimsFusedGroups: true,
};

export default npuSimPlugin;

/** The device with its compile-report listing of the fused groups its `kernels` run natively. */
function withListing(device: NpuSimDevice, kernels: readonly NpuRegistration[]): NpuSimDevice {
  device.kernelSource = (op, inputs, attrs) => programListing(kernels, op, inputs, attrs);
  return device;
}

/**
 * The same simulator as a second device, 'npu-sim-edge', on the int8-only edge profile
 * (EDGE_INT8_PROFILE), with the kernels that chip has, registered for its own device name: no
 * float16 tensor-unit kernels (float16 matmul runs on the vector unit, float16 conv2d decomposes).
 */
export const npuSimEdgePlugin: DevicePlugin<NpuSimOptions> = {
  name: "npu-sim-edge",
  halVersion: HAL_VERSION,
  create: (options) => withListing(new NpuSimDevice({ base: EDGE_INT8_PROFILE, ...options, name: "npu-sim-edge" }), edgeInt8Kernels),
  kernels: edgeInt8Kernels.map((k) => ({ ...k, device: "npu-sim-edge" })),
  claimSubgraphs,
  claimsFusedGroups: true,
};
