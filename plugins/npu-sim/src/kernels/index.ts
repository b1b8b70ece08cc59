import { hasOp } from "@polychip/hal";
import { conv2dKernels } from "./conv2d.ts";
import { elementwiseKernels } from "./elementwise.ts";
import { matmulKernels } from "./matmul.ts";
import { poolKernels } from "./pool.ts";
import { quantizedKernels } from "./quantized.ts";
import { quantizeKernels } from "./quantize.ts";
import type { NpuRegistration } from "./registration.ts";
import { softmaxKernels } from "./softmax.ts";

/**
 * Kernels for ops the HAL does not define yet (quantizeLinear, dequantizeLinear, quantizedMatmul,
 * quantizedConv2d: HAL 1.1 ops). They join the registration list as soon
 * as the HAL defines the op; until then they run only when launched directly.
 */
export const pendingHalKernels: readonly NpuRegistration[] = [...quantizeKernels, ...quantizedKernels];

/** Every kernel the simulated NPU runs natively; every other op falls back to the CPU. */
export const npuSimKernels: readonly NpuRegistration[] = [
  ...matmulKernels,
  ...conv2dKernels,
  ...poolKernels,
  ...elementwiseKernels,
  ...softmaxKernels,
  ...pendingHalKernels.filter((k) => hasOp(k.op)),
];
