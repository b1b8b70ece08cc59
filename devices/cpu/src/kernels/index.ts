import type { CpuRegistration } from "./registration.ts";
import { argReduceKernels } from "./argreduce.ts";
import { binaryKernels } from "./binary.ts";
import { castKernels } from "./cast.ts";
import { compareKernels } from "./compare.ts";
import { concatKernels } from "./concat.ts";
import { conv2dKernels } from "./conv2d.ts";
import { conv2dNhwcReference } from "./conv2d-nhwc.ts";
import { copyKernels } from "./copy.ts";
import { fillKernels } from "./fill.ts";
import { fusedKernels } from "./fused.ts";
import { gatherKernels } from "./gather.ts";
import { matmulKernels } from "./matmul.ts";
import { normKernels } from "./norm.ts";
import { padKernels } from "./pad.ts";
import { poolKernels } from "./pool.ts";
import { randomKernels } from "./random.ts";
import { recurrentKernels } from "./recurrent.ts";
import { reduceKernels } from "./reduce.ts";
import { softmaxKernels } from "./softmax.ts";
import { sortKernels } from "./sort.ts";
import { unaryKernels } from "./unary.ts";
import { whereKernels } from "./where.ts";
import { QUANTIZED_OPS } from "@polychip/hal";
import { decomposedKernel } from "./decomposed.ts";
import { epilogueKernels } from "./epilogue.ts";

/** The reference kernels of the cpu device: one per HAL op, primitives and composites alike, in plain TypeScript. */
export const referenceKernels: CpuRegistration[] = [
  ...unaryKernels,
  ...binaryKernels,
  ...compareKernels,
  ...whereKernels,
  ...castKernels,
  ...copyKernels,
  ...fillKernels,
  ...randomKernels,
  ...reduceKernels,
  ...argReduceKernels,
  ...matmulKernels,
  ...gatherKernels,
  ...conv2dKernels,
  conv2dNhwcReference,
  ...poolKernels,
  ...softmaxKernels,
  ...normKernels,
  ...padKernels,
  ...concatKernels,
  ...sortKernels,
  // HAL 1.1's quantised composites are defined by their decompositions: the oracle runs exactly those.
  ...QUANTIZED_OPS.map((o) => decomposedKernel(o.name, () => referenceKernels)),
  ...recurrentKernels,
  // Training batch norm is defined by its decomposition (the engine's compiled steps use it).
  decomposedKernel("batchNormTraining", () => referenceKernels),
  decomposedKernel("batchNormTrainingRelu", () => referenceKernels),
  decomposedKernel("batchNormTrainingGrad", () => referenceKernels),
  decomposedKernel("batchNormTrainingReluGrad", () => referenceKernels),
  ...fusedKernels,
  // GEMM epilogues: the reference GEMM, then the reference fused kernel in place.
  ...epilogueKernels(() => referenceKernels),
];
