/**
 * @polychip/engine/runtime — the lean deployment entry: load a model file, run it on any device.
 * It reaches only the device layer (core/) and the graph IR; autograd, nn, optimisers and the
 * eager Tensor are never loaded (runtime.test.ts checks the bundle).
 */
export { createSession, execute, readHost, Session, type SessionOptions } from "./runtime/session.ts";
export { SharedWeights } from "./runtime/shared-weights.ts";
export { checkInputs, isRawView, type HostOutput, type HostTensor, type RuntimeInput } from "./runtime/inputs.ts";
export { parseModel, serializeModel, MODEL_MAGIC, MODEL_VERSION } from "./io/model-file.ts";
export { detectAnomaly } from "./anomaly.ts";
export { STRUCTURAL_OPS, isStructuralOp, type Graph, type GraphNode, type Initializer, type ValueInfo, type StructuralOp } from "./graph/ir.ts";
export { inferShapes } from "./graph/infer-shapes.ts";
export { validateGraph } from "./graph/validate.ts";
export { deadCodeElimination } from "./graph/passes/dead-code.ts";
export { formatBytes, planPeak } from "./runtime/budget.ts";
export { printGraph } from "./graph/print.ts";
export {
  useDevice,
  loadPlugin,
  type LoadPluginOptions,
  loadableDevices,
  registerDeviceLoader,
  type DeviceLoader,
  registerPlugin,
  listDevices,
  setDefaultDevice,
  defaultDevice,
  removeDevice,
  setFallbackPolicy,
  getFallbackPolicy,
  fallbackReport,
  resetFallbackReport,
  setWarningHandler,
  profiler,
  memoryStats,
  type FallbackPolicy,
  type FallbackRecord,
  type RawView,
  type MemoryStats,
  setDeviceDeadline,
  getDeviceDeadline,
  setActivityListener,
  type DeviceDeadline,
} from "./core/index.ts";
export {
  PolychipError,
  FormatError,
  ShapeError,
  DTypeError,
  DeviceError,
  UnsupportedOpError,
  KernelError,
  OutOfMemoryError,
  NonFiniteError,
  DeviceTimeoutError,
  type DType,
  type HostArray,
} from "@polychip/hal";
