import { ELEMENTWISE_FAMILIES, sizeOf, type OpDef } from "@polychip/hal";
import { argReduceCases, argsortCases, reduceCases } from "./reduce.ts";
import { binaryCases } from "./elementwise-binary.ts";
import { castCases } from "./cast.ts";
import { concatCases, padCases } from "./layout.ts";
import { conv2dCases, conv2dGradInputCases, conv2dGradWeightCases } from "./conv.ts";
import { copyCases } from "./copy.ts";
import { fillCases, randomCases } from "./fill.ts";
import { fusedCases } from "./fused.ts";
import { gatherCases, gatherElementsCases, scatterAddCases } from "./indexing.ts";
import { matmulCases } from "./matmul.ts";
import {
  batchNormCases,
  batchNormTrainingCases,
  batchNormTrainingGradCases,
  batchNormTrainingReluGradCases,
  layerNormCases,
  softmaxCases,
  softplusCases,
} from "./normalization.ts";
import { poolCases, poolGradCases } from "./pool.ts";
import { quantizeLinearCases, dynamicQuantizeLinearCases, dequantizeLinearCases } from "./quantize.ts";
import { integerMatmulCases } from "./integer-matmul.ts";
import { matmulDequantizedCases } from "./matmul-dequantized.ts";
import { whereCases } from "./select.ts";
import { unaryCases } from "./elementwise-unary.ts";
import type { CaseContext, CaseGenerator, ConformanceCase } from "./types.ts";
import { atOffset, stepped } from "./values.ts";

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
  argsort: argsortCases,
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
  softplus: softplusCases,
  layerNorm: layerNormCases,
  batchNorm: batchNormCases,
  batchNormTraining: batchNormTrainingCases,
  batchNormTrainingRelu: batchNormTrainingCases,
  batchNormTrainingGrad: batchNormTrainingGradCases,
  batchNormTrainingReluGrad: batchNormTrainingReluGradCases,
  pad: padCases,
  concat: concatCases,
  fused: fusedCases,
  // Proposed HAL ops (ONNX QuantizeLinear/DequantizeLinear); used once the HAL defines them.
  quantizeLinear: quantizeLinearCases,
  dequantizeLinear: dequantizeLinearCases,
  integerMatmul: integerMatmulCases,
  matmulDequantized: matmulDequantizedCases,
  dynamicQuantizeLinear: dynamicQuantizeLinearCases,
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
  const generate = BY_NAME[op.name] ?? BY_FAMILY[op.family];
  return generate && ((ctx) => withViewVariants(ctx, generate(ctx)));
}

/**
 * Every op, whatever its family, gets its first plain case again with each input at an offset in a
 * larger buffer (the engine passes such views for slices even to devices that take only contiguous
 * inputs); where the device declares "strided-inputs", also as stepped views (stride 2, poison in
 * the gaps). Elementwise families already cover both in their own cases.
 */
function withViewVariants(ctx: CaseContext, cases: ConformanceCase[]): ConformanceCase[] {
  const sample = cases.find((c) => !c.output && c.inputs.length > 0 && c.inputs.every((t) => t.layout === "contiguous" && sizeOf(t.shape) > 0));
  if (!sample) return cases;
  const variants: ConformanceCase[] = [
    { ...sample, name: `${sample.name}, inputs at an offset in their buffers`, inputs: sample.inputs.map((t) => atOffset(t)) },
  ];
  if (ctx.stridedInputs && !ELEMENTWISE_FAMILIES.includes(ctx.op.family)) {
    variants.push({ ...sample, name: `${sample.name}, stepped (strided) inputs`, inputs: sample.inputs.map((t) => stepped(t)) });
  }
  return [...cases, ...variants];
}
