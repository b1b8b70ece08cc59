import type { OpDef } from "@polychip/hal";
import { argReduceCases, reduceCases } from "./reduce.ts";
import { binaryCases } from "./elementwise-binary.ts";
import { castCases } from "./cast.ts";
import { concatCases, padCases } from "./layout.ts";
import { conv2dCases, conv2dGradInputCases, conv2dGradWeightCases } from "./conv.ts";
import { copyCases } from "./copy.ts";
import { fillCases, randomCases } from "./fill.ts";
import { gatherCases, gatherElementsCases, scatterAddCases } from "./indexing.ts";
import { matmulCases } from "./matmul.ts";
import { batchNormCases, layerNormCases, softmaxCases } from "./normalization.ts";
import { poolCases, poolGradCases } from "./pool.ts";
import { quantizeLinearCases, dequantizeLinearCases } from "./quantize.ts";
import { whereCases } from "./select.ts";
import { unaryCases } from "./elementwise-unary.ts";
import type { CaseGenerator } from "./types.ts";

export type { CaseContext, CaseGenerator, ConformanceCase, OutputLayout, TensorInput } from "./types.ts";

/** Generators by op name, for ops whose family does not say enough (composites, indexing, fills). */
const BY_NAME: Record<string, CaseGenerator> = {
  where: whereCases,
  cast: castCases,
  copy: copyCases,
  fill: fillCases,
  randomUniform: randomCases,
  randomNormal: randomCases,
  argMax: argReduceCases,
  argMin: argReduceCases,
  gather: gatherCases,
  gatherElements: gatherElementsCases,
  scatterAdd: scatterAddCases,
  conv2d: conv2dCases,
  conv2dGradInput: conv2dGradInputCases,
  conv2dGradWeight: conv2dGradWeightCases,
  maxPool2d: poolCases,
  avgPool2d: poolCases,
  maxPool2dGrad: poolGradCases,
  avgPool2dGrad: poolGradCases,
  softmax: softmaxCases,
  logSoftmax: softmaxCases,
  layerNorm: layerNormCases,
  batchNorm: batchNormCases,
  pad: padCases,
  concat: concatCases,
  // Proposed HAL ops (ONNX QuantizeLinear/DequantizeLinear); used once the HAL defines them.
  quantizeLinear: quantizeLinearCases,
  dequantizeLinear: dequantizeLinearCases,
};

const BY_FAMILY: Partial<Record<OpDef["family"], CaseGenerator>> = {
  unary: unaryCases,
  binary: binaryCases,
  compare: binaryCases,
  logical: binaryCases,
  reduce: reduceCases,
  matmul: matmulCases,
};

/** The case generator for an op, or undefined when the kit has no cases for it (reported as untested). */
export function generatorFor(op: OpDef): CaseGenerator | undefined {
  return BY_NAME[op.name] ?? BY_FAMILY[op.family];
}
