/**
 * @polychip/plugin-sdk: the plugin-facing helpers. A plugin imports only this entry and
 * @polychip/hal; the conformance kit (`@polychip/plugin-sdk/kit`) and the scaffolder
 * (`@polychip/plugin-sdk/scaffold`) are separate entries so a plugin never loads the CPU oracle.
 */
export { HostBuffer, storageArray, type StorageArray } from "./host/host-buffer.ts";
export { HostDevice, type HostDeviceOptions } from "./host/host-device.ts";
export { elementOffsets, broadcastOffsets, forEachIndex, reducedPositions } from "./host/strided.ts";
export { loadValues, storeValues, viewSize, type HostView } from "./host/elements.ts";
export { describeViews, describeCall, kernelEvent, transferEvent } from "./host/profiler.ts";
export { saturate, roundHalfToEven, castValue } from "./host/numerics.ts";
// The HAL defines each op's scalar meaning; the SDK hands it on so a vendor's kernels start from it.
export { UNARY_SCALAR, BINARY_SCALAR, REDUCE_SCALAR, argIndex, ARG_BETTER, type Scalar1, type Scalar2 } from "@polychip/hal";
