import type { Decomposition } from "../types.ts";
import { argsort } from "./argsort.ts";
import { avgPool2d, avgPool2dGrad } from "./avgPool2d.ts";
import { batchNorm } from "./batchNorm.ts";
import { batchNormTraining, batchNormTrainingGrad, batchNormTrainingRelu, batchNormTrainingReluGrad } from "./batchNormTraining.ts";
import { concat } from "./concat.ts";
import { conv2d } from "./conv2d.ts";
import { conv2dNhwc } from "./conv2d-nhwc.ts";
import { conv2dGradInput, conv2dGradWeight } from "./conv2dGrad.ts";
import { fused } from "./fused.ts";
import { layerNorm } from "./layerNorm.ts";
import { maxPool2d, maxPool2dGrad } from "./maxPool2d.ts";
import { pad } from "./pad.ts";
import { logSoftmax, softmax } from "./softmax.ts";
import { softplus } from "./softplus.ts";

/**
 * The reference decomposition of every composite op into primitives, by op name. They are what
 * a device without a native composite kernel runs, so a device that implements only the
 * primitives runs every model. Written for correctness, not speed.
 */
export const DECOMPOSITIONS: Record<string, Decomposition> = {
  conv2d,
  conv2dNhwc,
  conv2dGradInput,
  conv2dGradWeight,
  maxPool2d,
  maxPool2dGrad,
  avgPool2d,
  avgPool2dGrad,
  softmax,
  logSoftmax,
  softplus,
  layerNorm,
  batchNorm,
  batchNormTraining,
  batchNormTrainingRelu,
  batchNormTrainingGrad,
  batchNormTrainingReluGrad,
  pad,
  concat,
  fused,
  argsort,
};
