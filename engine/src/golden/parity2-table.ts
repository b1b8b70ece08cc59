/**
 * How the second round of PyTorch-parity fixture ops (engine/fixtures/golden/ops-parity2-*.json,
 * written by engine/scripts/generate_parity_golden.py) are called on the engine.
 */
import * as E from "../index.ts";
import { nn, type Tensor } from "../index.ts";
import { moduleCase, type Attrs, type OpFn } from "./module-case.ts";

const orUndefined = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
const reductionOf = (a: Attrs) => ({ reduction: a.reduction });

/** InstanceNorm2d(affine, trackRunningStats) holding the case's weight, bias and running statistics. */
function instanceNorm2dModule([x, w, b, rm, rv]: Tensor[], a: Attrs): Tensor | Tensor[] {
  const m = new nn.InstanceNorm2d(3, 1e-5, a.momentum, { affine: true, trackRunningStats: true, device: x!.device });
  for (const t of [m.weight, m.bias, m.runningMean, m.runningVar]) t!.dispose();
  Object.assign(m, { weight: w, bias: b, runningMean: rm, runningVar: rv });
  if (!a.training) m.eval();
  const y = m.call(x!);
  return a.training ? [y, rm!, rv!] : y;
}

const decoderLayer = () => new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 12, dropout: 0, batchFirst: true });

export const PARITY2_TABLE: Record<string, OpFn> = {
  leakyRelu: ([x], a) => E.leakyRelu(x!, a.negativeSlope),
  silu: ([x]) => E.silu(x!),
  elu: ([x], a) => E.elu(x!, a.alpha),
  selu: ([x]) => E.selu(x!),
  celu: ([x], a) => E.celu(x!, a.alpha),
  hardswish: ([x]) => E.hardswish(x!),
  hardsigmoid: ([x]) => E.hardsigmoid(x!),
  mish: ([x]) => E.mish(x!),
  relu6: ([x]) => E.relu6(x!),
  hardtanh: ([x], a) => E.hardtanh(x!, a.minVal, a.maxVal),
  logSigmoid: ([x]) => E.logSigmoid(x!),
  softsign: ([x]) => E.softsign(x!),
  softmin: ([x], a) => E.softmin(x!, a.dim),
  glu: ([x], a) => E.glu(x!, a.dim),
  prelu: ([x, w]) => E.prelu(x!, w!),

  adaptiveAvgPool2d: ([x], a) => E.adaptiveAvgPool2d(x!, a.size),
  adaptiveMaxPool2d: ([x], a) => E.adaptiveMaxPool2d(x!, a.size),
  adaptiveAvgPool1d: ([x], a) => E.adaptiveAvgPool1d(x!, a.size),
  adaptiveMaxPool1d: ([x], a) => E.adaptiveMaxPool1d(x!, a.size),
  avgPool1d: ([x], a) =>
    E.avgPool1d(x!, a.kernel, { stride: orUndefined(a.stride), padding: a.padding, ceilMode: a.ceilMode, countIncludePad: a.countIncludePad }),
  maxPool1d: ([x], a) => E.maxPool1d(x!, a.kernel, { stride: orUndefined(a.stride), padding: a.padding, ceilMode: a.ceilMode }),
  pixelShuffle: ([x], a) => E.pixelShuffle(x!, a.factor),
  pixelUnshuffle: ([x], a) => E.pixelUnshuffle(x!, a.factor),
  padTrailing: ([x], a) => E.padTrailing(x!, a.pads, a.mode, a.value),

  std: ([x], a) => E.std(x!, orUndefined(a.dims), a.keepDims, a.correction),
  amax: ([x], a) => E.amax(x!, a.dims, a.keepDims),
  amin: ([x], a) => E.amin(x!, a.dims, a.keepDims),
  chunk: ([x], a) => E.chunk(x!, a.chunks, a.dim),
  unflatten: ([x], a) => E.unflatten(x!, a.dim, a.sizes),
  outer: ([x, y]) => E.outer(x!, y!),
  normalize: ([x], a) => E.normalize(x!, a.p, a.dim),
  cosineSimilarity: ([x, y], a) => E.cosineSimilarity(x!, y!, a.dim),
  pairwiseDistance: ([x, y], a) => E.pairwiseDistance(x!, y!, a.p, undefined, a.keepDims),
  oneHot: ([x], a) => E.oneHot(x!, a.numClasses),
  linspace: ([deviceOf], a) => E.linspace(a.start, a.end, a.steps, { device: deviceOf!.device }),

  instanceNorm: ([x, w, b]) => E.instanceNorm(x!, undefined, undefined, w, b),
  // Outputs: y, then the running mean and variance after the call (updated in place).
  instanceNorm_running: ([x, rm, rv], a) => [E.instanceNorm(x!, rm, rv, undefined, undefined, true, a.momentum), rm!, rv!],
  instanceNorm_eval: ([x, rm, rv]) => E.instanceNorm(x!, rm, rv, undefined, undefined, false),
  rmsNorm: ([x, w], a) => E.rmsNorm(x!, a.normalizedShape, w, orUndefined(a.eps)),

  huberLoss: ([x, t], a) => E.huberLoss(x!, t!, { reduction: a.reduction, delta: a.delta }),
  cosineEmbeddingLoss: ([x, y, t], a) => E.cosineEmbeddingLoss(x!, y!, t!, { margin: a.margin, reduction: a.reduction }),
  marginRankingLoss: ([x, y, t], a) => E.marginRankingLoss(x!, y!, t!, { margin: a.margin, reduction: a.reduction }),
  softMarginLoss: ([x, t], a) => E.softMarginLoss(x!, t!, reductionOf(a)),
  hingeEmbeddingLoss: ([x, t], a) => E.hingeEmbeddingLoss(x!, t!, { margin: a.margin, reduction: a.reduction }),
  tripletMarginLoss: ([x, p, n], a) => E.tripletMarginLoss(x!, p!, n!, { margin: a.margin, p: a.p, swap: a.swap, reduction: a.reduction }),
  multiLabelSoftMarginLoss: ([x, t, w], a) => E.multiLabelSoftMarginLoss(x!, t!, { weight: w, reduction: a.reduction }),
  poissonNLLLoss: ([x, t], a) => E.poissonNLLLoss(x!, t!, { logInput: a.logInput, full: a.full, reduction: a.reduction }),
  gaussianNLLLoss: ([x, t, v], a) => E.gaussianNLLLoss(x!, t!, v!, { full: a.full, eps: a.eps, reduction: a.reduction }),

  instanceNorm2dModule,
  instanceNorm1dModule: ([x]) => new nn.InstanceNorm1d(3).call(x!),
  transformerDecoder: moduleCase(
    3,
    () => new nn.TransformerDecoder(decoderLayer, 2, new nn.LayerNorm(8)),
    (m, [t, mem, mask]) => m.decode(t!, mem!, { tgtMask: mask }),
  ),
};
