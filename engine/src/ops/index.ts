export * from "./basic.ts";
export * from "./creation.ts";
export * from "./shape.ts";
export * from "./reduce.ts";
export * from "./linalg.ts";
export * from "./indexing.ts";
export * from "./nn-functional.ts";
export * from "./devices-ops.ts";
export * from "./losses.ts";
export { maskedFill, triu, tril } from "./masking.ts";
export { cumsum, cumprod } from "./cumulative.ts";
export { sort, argsort, topk } from "./sorting.ts";
export { indexSelect, repeat, flip, roll } from "./rearrange.ts";
export { norm } from "./norm.ts";
export { einsum } from "./einsum.ts";
export { multinomial } from "./sampling.ts";
export { add_, mul_, clamp_, fill_, zero_, copy_, tensorVersion } from "./inplace.ts";
export { scaledDotProductAttention, attentionWeights, type AttentionOptions } from "./attention.ts";
export { conv1d, convTranspose2d, type Conv1dOptions, type ConvTranspose2dOptions } from "./convolution-extra.ts";
export { groupNorm } from "./normalization-extra.ts";
export { interpolate, type InterpolateOptions } from "./interpolate.ts";
export { sumToShape } from "./broadcast-grad.ts";
export {
  leakyRelu,
  silu,
  elu,
  selu,
  celu,
  hardtanh,
  relu6,
  hardsigmoid,
  hardswish,
  mish,
  logSigmoid,
  softsign,
  softmin,
  glu,
  prelu,
} from "./activations-extra.ts";
export {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  adaptiveAvgPool1d,
  adaptiveMaxPool1d,
  avgPool1d,
  maxPool1d,
  type AdaptiveSize,
  type Pool1dOptions,
} from "./pooling-adaptive.ts";
export { chunk, unflatten, oneHot, outer, pixelShuffle, pixelUnshuffle } from "./shape-extra.ts";
export { amax, amin } from "./reduce-extra.ts";
export { linspace, randint } from "./creation-extra.ts";
export { normalize, cosineSimilarity, pairwiseDistance } from "./distance.ts";
export { instanceNorm, rmsNorm } from "./normalization-instance.ts";
export {
  huberLoss,
  cosineEmbeddingLoss,
  marginRankingLoss,
  tripletMarginLoss,
  softMarginLoss,
  multiLabelSoftMarginLoss,
  hingeEmbeddingLoss,
  poissonNLLLoss,
  gaussianNLLLoss,
  type TripletMarginOptions,
  type PoissonNLLOptions,
  type GaussianNLLOptions,
} from "./losses-extra.ts";
export { padTrailing, type PadMode } from "./padding.ts";
export { dropout1d, dropout2d } from "./dropout-channel.ts";
