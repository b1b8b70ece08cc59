/**
 * @polychip/engine — the eager API: tensors, autograd, nn, optimisers, devices.
 */
export { Tensor, isTensor, type TensorLike } from "./tensor.ts";
export * from "./ops/index.ts";
export { noGrad, isGradEnabled } from "./autograd/grad-mode.ts";
export { tidy, keep } from "./scope.ts";
export { memory, type DeviceMemory } from "./memory.ts";
export * as nn from "./nn/index.ts";
export * as optim from "./optim/index.ts";
export {
  useDevice, loadPlugin, registerPlugin, listDevices, setDefaultDevice, defaultDevice, removeDevice,
  setFallbackPolicy, getFallbackPolicy, fallbackReport, resetFallbackReport, setWarningHandler, profiler,
  type FallbackPolicy, type FallbackRecord,
} from "./core/index.ts";
export type { DType, Shape, ProfileEvent } from "@polychip/hal";
export { saveCheckpoint, loadCheckpoint, type LoadedCheckpoint } from "./io/checkpoint.ts";
export { crc32 } from "./io/crc32.ts";
export * as data from "./data/index.ts";
export { saveTrainingCheckpoint, loadTrainingCheckpoint, type TrainingState } from "./io/training-checkpoint.ts";
// Loss functions with torch's options; these names shadow the older ones that ops/index.ts re-exports.
export {
  crossEntropy, nllLoss, mseLoss, l1Loss, smoothL1Loss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv,
  type Reduction, type ClassLossOptions, type CrossEntropyOptions,
} from "./ops/losses.ts";
export { maskedFill, triu, tril } from "./ops/masking.ts";
export { cumsum, cumprod } from "./ops/cumulative.ts";
export { sort, argsort, topk } from "./ops/sorting.ts";
export { indexSelect, repeat, flip, roll } from "./ops/rearrange.ts";
export { norm } from "./ops/norm.ts";
export { einsum } from "./ops/einsum.ts";
export { multinomial } from "./ops/sampling.ts";
export { add_, mul_, clamp_, fill_, zero_, copy_, tensorVersion } from "./ops/inplace.ts";
export { getRngState, setRngState } from "./ops/creation.ts";
export { scaledDotProductAttention, attentionWeights, type AttentionOptions } from "./ops/attention.ts";
export { conv1d, convTranspose2d, type Conv1dOptions, type ConvTranspose2dOptions } from "./ops/convolution-extra.ts";
export { groupNorm } from "./ops/normalization-extra.ts";
export { interpolate, type InterpolateOptions } from "./ops/interpolate.ts";
export { autocast, isAutocastEnabled } from "./nn/autocast.ts";
