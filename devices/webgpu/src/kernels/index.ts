import type { WebGpuRegistration } from "../families/registration.ts";
import { absKernel } from "./abs.ts";
import { addKernel } from "./add.ts";
import { argMaxKernel } from "./argMax.ts";
import { argMinKernel } from "./argMin.ts";
import { avgPool2dKernel } from "./avgPool2d.ts";
import { avgPool2dGradKernel } from "./avgPool2dGrad.ts";
import { batchNormKernel } from "./batchNorm.ts";
import { castKernel } from "./cast.ts";
import { ceilKernel } from "./ceil.ts";
import { concatKernel } from "./concat.ts";
import { conv2dKernel } from "./conv2d.ts";
import { conv2dGradInputKernel } from "./conv2dGradInput.ts";
import { conv2dGradWeightKernel } from "./conv2dGradWeight.ts";
import { copyKernel } from "./copy.ts";
import { cosKernel } from "./cos.ts";
import { divKernel } from "./div.ts";
import { equalKernel } from "./equal.ts";
import { erfKernel } from "./erf.ts";
import { expKernel } from "./exp.ts";
import { fillKernel } from "./fill.ts";
import { floorKernel } from "./floor.ts";
import { fmodKernel } from "./fmod.ts";
import { gatherKernel } from "./gather.ts";
import { gatherElementsKernel } from "./gatherElements.ts";
import { greaterKernel } from "./greater.ts";
import { greaterEqualKernel } from "./greaterEqual.ts";
import { isNaNKernel } from "./isNaN.ts";
import { layerNormKernel } from "./layerNorm.ts";
import { lessKernel } from "./less.ts";
import { lessEqualKernel } from "./lessEqual.ts";
import { logKernel } from "./log.ts";
import { logSoftmaxKernel } from "./logSoftmax.ts";
import { logicalAndKernel } from "./logicalAnd.ts";
import { logicalNotKernel } from "./logicalNot.ts";
import { logicalOrKernel } from "./logicalOr.ts";
import { logicalXorKernel } from "./logicalXor.ts";
import { matmulKernel } from "./matmul.ts";
import { maxPool2dKernel } from "./maxPool2d.ts";
import { maxPool2dGradKernel } from "./maxPool2dGrad.ts";
import { maximumKernel } from "./maximum.ts";
import { minimumKernel } from "./minimum.ts";
import { modKernel } from "./mod.ts";
import { mulKernel } from "./mul.ts";
import { negKernel } from "./neg.ts";
import { notEqualKernel } from "./notEqual.ts";
import { padKernel } from "./pad.ts";
import { powKernel } from "./pow.ts";
import { randomNormalKernel } from "./randomNormal.ts";
import { randomUniformKernel } from "./randomUniform.ts";
import { reciprocalKernel } from "./reciprocal.ts";
import { reduceMaxKernel } from "./reduceMax.ts";
import { reduceMinKernel } from "./reduceMin.ts";
import { reduceProdKernel } from "./reduceProd.ts";
import { reduceSumKernel } from "./reduceSum.ts";
import { reluKernel } from "./relu.ts";
import { roundKernel } from "./round.ts";
import { rsqrtKernel } from "./rsqrt.ts";
import { scatterAddKernel } from "./scatterAdd.ts";
import { sigmoidKernel } from "./sigmoid.ts";
import { signKernel } from "./sign.ts";
import { sinKernel } from "./sin.ts";
import { softmaxKernel } from "./softmax.ts";
import { sqrtKernel } from "./sqrt.ts";
import { subKernel } from "./sub.ts";
import { tanhKernel } from "./tanh.ts";
import { whereKernel } from "./where.ts";

/** The WebGPU device's one registration list: one kernel per op (see the HAL's ops/primitives.ts and ops/composites.ts). */
export const webgpuKernels: readonly WebGpuRegistration[] = [
  absKernel,
  addKernel,
  argMaxKernel,
  argMinKernel,
  avgPool2dKernel,
  avgPool2dGradKernel,
  batchNormKernel,
  castKernel,
  ceilKernel,
  concatKernel,
  conv2dKernel,
  conv2dGradInputKernel,
  conv2dGradWeightKernel,
  copyKernel,
  cosKernel,
  divKernel,
  equalKernel,
  erfKernel,
  expKernel,
  fillKernel,
  floorKernel,
  fmodKernel,
  gatherKernel,
  gatherElementsKernel,
  greaterKernel,
  greaterEqualKernel,
  isNaNKernel,
  layerNormKernel,
  lessKernel,
  lessEqualKernel,
  logKernel,
  logSoftmaxKernel,
  logicalAndKernel,
  logicalNotKernel,
  logicalOrKernel,
  logicalXorKernel,
  matmulKernel,
  maxPool2dKernel,
  maxPool2dGradKernel,
  maximumKernel,
  minimumKernel,
  modKernel,
  mulKernel,
  negKernel,
  notEqualKernel,
  padKernel,
  powKernel,
  randomNormalKernel,
  randomUniformKernel,
  reciprocalKernel,
  reduceMaxKernel,
  reduceMinKernel,
  reduceProdKernel,
  reduceSumKernel,
  reluKernel,
  roundKernel,
  rsqrtKernel,
  scatterAddKernel,
  sigmoidKernel,
  signKernel,
  sinKernel,
  softmaxKernel,
  sqrtKernel,
  subKernel,
  tanhKernel,
  whereKernel,
];
