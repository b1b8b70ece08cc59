import { hasOp } from "@polychip/hal";
import { conv2dKernels, vectorConv2dKernels } from "./conv2d.ts";
import { conv2dGradInputKernels, vectorConv2dGradInputKernels } from "./conv2d-grad-input.ts";
import { dataMovementKernels } from "./data-movement.ts";
import { indexingKernels } from "./indexing.ts";
import { elementwiseKernels } from "./elementwise.ts";
import { edgeEpilogueKernels, epilogueKernels } from "./epilogue.ts";
import { fusedKernels } from "./fused.ts";
import { matmulKernels } from "./matmul.ts";
import { poolKernels } from "./pool.ts";
import { quantizedKernels } from "./quantized.ts";
import { quantizeKernels } from "./quantize.ts";
import { reduceKernels } from "./reduce.ts";
import type { NpuRegistration } from "./registration.ts";
import { softmaxKernels } from "./softmax.ts";
import { vectorMatmulFp16Kernels, vectorMatmulKernels } from "./vector-matmul.ts";

/**
 * Kernels for ops the HAL does not define yet (quantizeLinear, dequantizeLinear, quantizedMatmul,
 * quantizedConv2d: HAL 1.1 ops). They join the registration list as soon
 * as the HAL defines the op; until then they run only when launched directly.
 */
export const pendingHalKernels: readonly NpuRegistration[] = [...quantizeKernels, ...quantizedKernels];

/**
 * Every kernel the simulated NPU runs natively: every HAL primitive for every dtype it stores
 * (float32 and integers on the vector unit, float16 matmul/conv on the tensor unit), plus the
 * composites it accelerates (fused elementwise programs and GEMM epilogues among them); other
 * composites run their reference decomposition on the chip.
 */
export const npuSimKernels: readonly NpuRegistration[] = [
  ...dataMovementKernels,
  ...reduceKernels,
  ...indexingKernels,
  ...vectorMatmulKernels,
  ...matmulKernels,
  ...conv2dKernels,
  ...vectorConv2dKernels,
  ...conv2dGradInputKernels,
  ...vectorConv2dGradInputKernels,
  ...poolKernels,
  ...elementwiseKernels,
  ...softmaxKernels,
  ...fusedKernels,
  ...epilogueKernels,
  ...pendingHalKernels.filter((k) => hasOp(k.op)),
];

/**
 * The int8-only edge chip's list: no float16 tensor-unit kernels (its tensor unit has int8
 * multipliers only). float16 matmul runs on the vector unit like float32; float16 conv2d runs its
 * decomposition on the chip.
 */
export const edgeInt8Kernels: readonly NpuRegistration[] = [
  ...npuSimKernels.filter((k) => ![...matmulKernels, ...conv2dKernels, ...conv2dGradInputKernels, ...epilogueKernels].includes(k)),
  ...vectorMatmulFp16Kernels,
  ...edgeEpilogueKernels,
];
