/**
 * @polychip/engine — the eager API: tensors, autograd, nn, optimisers, devices.
 */
export { Tensor, isTensor, type TensorLike } from "./tensor.ts";
export * from "./ops/index.ts";
export { backward } from "./autograd/backward.ts";
export { noGrad, isGradEnabled } from "./tape/grad-mode.ts";
export { tidy, keep } from "./scope.ts";
export { memory, resetPeakMemory, type DeviceMemory } from "./memory.ts";
export * as nn from "./nn/index.ts";
export * as optim from "./optim/index.ts";
export {
  useDevice,
  loadPlugin,
  type LoadPluginOptions,
  loadableDevices,
  registerDeviceLoader,
  type DeviceLoader,
  registerPlugin,
  listDevices,
  hasKernel,
  setDefaultDevice,
  defaultDevice,
  removeDevice,
  setFallbackPolicy,
  getFallbackPolicy,
  fallbackReport,
  resetFallbackReport,
  setWarningHandler,
  profiler,
  type ProfileRange,
  type FallbackPolicy,
  type FallbackRecord,
  setDeviceDeadline,
  getDeviceDeadline,
  setActivityListener,
  type DeviceDeadline,
} from "./core/index.ts";
export type { DType, Shape, ProfileEvent } from "@polychip/hal";
export { saveCheckpoint, loadCheckpoint, type LoadedCheckpoint } from "./checkpoint/checkpoint.ts";
export { crc32 } from "./io/crc32.ts";
export { detectAnomaly } from "./anomaly.ts";
export type { ByteSource } from "./io/bytes.ts";
export * as data from "./data/index.ts";
export { saveTrainingCheckpoint, loadTrainingCheckpoint, type TrainingState } from "./checkpoint/training-checkpoint.ts";
export { autocast, isAutocastEnabled } from "./nn/autocast.ts";
export { compile, type CompileOptions, type CompileStats, type Compiled } from "./compile/index.ts";
