/**
 * @polychip/onnx — ONNX models in and out of Polychip's graph IR.
 *
 * importOnnx(bytes) reads a ModelProto (opsets 1–25) into a Graph of HAL and structural ops;
 * OnnxSession runs one on inputs of any allowed shape (one plan per input-shape signature);
 * exportOnnx(graph) writes one (opset 17). The conformance runner lives in
 * "@polychip/onnx/conformance" (it reads files, so it is Node-only), and readOnnxModel(path) — a model with its
 * external-data files — in "@polychip/onnx/node".
 */
export { importOnnx, importOnnxModel, importModelProto, failingNode, MIN_OPSET, MAX_OPSET, type ImportedModel, type FailingNode } from "./import/importer.ts";
export type { ImportOptions } from "./import/context.ts";
export { OnnxSession, type OnnxFeed, type OnnxResult, type OnnxSessionOptions } from "./session.ts";
export type { OnnxValue, ValueLayout } from "./containers.ts";
export { polychipFeeds } from "./onnx-feeds.ts";
export type { PlanCacheStats } from "./plan-cache.ts";
export { resolveExternalData, type ExternalDataReader } from "./external-data.ts";
export { supportedOnnxOps } from "./import/ops/index.ts";
export { exportOnnx, exportModelProto, EXPORT_OPSET, type ExportOptions } from "./export/exporter.ts";
export { decodeModel, encodeModel, decodeTensorProto, encodeTensorProto } from "./proto/codec.ts";
export { tensorFromProto, tensorToProto, tensorValues, type HostTensor } from "./tensor.ts";
export type * from "./proto/types.ts";
