/** What the page and the training worker say to each other (through comlink). */
import type { ProfileEvent } from "@polychip/hal";
import type { ProfileRange } from "@polychip/engine";
import type { DataSpan, StepSpan } from "../lib/chrome-trace.ts";
import type { WeightStats } from "../lib/weight-stats.ts";
import type { DroppedFile, MetricPoint } from "../user-api/run-context.ts";

export type { DataSpan, DroppedFile, MetricPoint, StepSpan, ProfileEvent };

export interface ConsoleEntry {
  level: "log" | "info" | "warn" | "error";
  text: string;
  /** Milliseconds since the run started. */
  time: number;
}

export interface DeviceReport {
  name: string;
  available: boolean;
  /** Why it cannot be used here (missing package, no adapter, init failure). */
  reason?: string;
  kind?: string;
  vendor?: string;
  details: Record<string, string | number | boolean>;
  features: string[];
  dtypes: string[];
  limits: Record<string, number | string>;
  /** Primitive HAL ops the device has no kernel for: a program using them runs those on the CPU. */
  noKernel?: string[];
  /** A CPU-emulated adapter (SwiftShader), far slower than the cpu device. */
  softwareAdapter?: boolean;
}

export interface MemorySnapshot {
  device: string;
  tensors: number;
  buffers: number;
  bytes: number;
}

/** Everything buffered in the worker since the last flush. */
export interface RunBatch {
  /** Worker clock at the run's start: profiler event and step times are on that clock. */
  origin: number;
  console: ConsoleEntry[];
  metrics: MetricPoint[];
  events: ProfileEvent[];
  /** Module and op ranges (host time), each sent when it closed. */
  ranges: ProfileRange[];
  steps: StepSpan[];
  /** Data loading, apart from the steps (a step's span starts after the data it waited for). */
  data: DataSpan[];
  memory?: MemorySnapshot[];
  model?: ModelSummary;
  /** Names of the graphs the code handed to showGraph(), so far. */
  graphs?: string[];
}

export interface RunSink {
  /** Through comlink this returns a promise that settles once the page has handled the batch. */
  batch(batch: RunBatch): void | Promise<void>;
}

export interface RunRequest {
  code: string;
  device: string;
  files: DroppedFile[];
  fashionMnistUrl: string;
  /**
   * A dry run: the code runs up to its first logged step (log()), then stops. The page does this
   * in a throwaway worker before Run, to learn which ops of this program fall back on the device.
   */
  dry?: boolean;
}

export interface UserErrorInfo {
  kind: "syntax" | "runtime";
  name: string;
  message: string;
  line?: number;
  column?: number;
}

export interface FallbackInfo {
  device: string;
  op: string;
  dtype: string;
  reason: string;
  count: number;
  bytesToHost: number;
  bytesToDevice: number;
}

export interface RunOutcome {
  ok: boolean;
  error?: UserErrorInfo;
  durationMs: number;
  /** Worker clock at the run's start; profiler event times are on this clock. */
  origin: number;
  fallback: FallbackInfo[];
  /** Top-level variables the worker keeps for its next run (used when "keep state" is on). */
  kept: string[];
}

export interface ModelSummary {
  name: string;
  parameters: number;
  tensors: { name: string; shape: number[]; dtype: string }[];
}

export interface GraphNodeView {
  id: number;
  op: string;
  name?: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, string>;
  /** Device the node runs on, when the graph says (compiled/partitioned graphs). */
  device?: string;
  /** A fused kernel: the ops it replaced. */
  fused?: string[];
  /** A fused kernel: ids of the unfused graph's nodes it replaced. */
  members?: number[];
}

export interface GraphView {
  name: string;
  /** Why the graph's batch size is fixed, when it is. */
  note?: string;
  inputs: { name: string; shape: (number | string)[]; dtype: string }[];
  outputs: { name: string; shape: (number | string)[]; dtype: string }[];
  nodes: GraphNodeView[];
  /** Shapes of every value the graph knows (inputs, initialisers, node outputs). */
  values: Record<string, { shape: (number | string)[]; dtype: string }>;
  initializers: { name: string; shape: number[]; dtype: string; stats?: WeightStats }[];
  /** The same graph as a session on `device` runs it (batch norms folded, fused chains, GEMM epilogues), or why there is none. */
  fused: Availability<{ nodes: GraphNodeView[]; groups: number; device: string }>;
}

export type Availability<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ExportedFile {
  fileName: string;
  bytes: Uint8Array;
  mime: string;
  /** Something the user should know about the file (a fixed batch size). */
  note?: string;
}

export interface ModelRunResult {
  summary: string;
  outputs: { name: string; shape: number[]; values: number[] }[];
  /** Class per image when the model classifies Fashion-MNIST test images. */
  predictions?: number[];
  labels?: number[];
  /** The trained model of this session on the same images, when it is still in the worker. */
  reference?: { predictions: number[]; maxAbsDiff: number };
}

export interface StudioWorkerApi {
  describeDevices(): Promise<DeviceReport[]>;
  run(request: RunRequest, sink: RunSink): Promise<RunOutcome>;
  /** The model's traced graph, or the graph the run showed under `name`. */
  graph(name?: string): Promise<Availability<GraphView>>;
  exportModel(format: "checkpoint" | "pcm" | "onnx"): Promise<Availability<ExportedFile>>;
  features(): Promise<Record<string, Availability<true>>>;
  runModelFile(file: DroppedFile, device: string, fashionMnistUrl: string): Promise<Availability<ModelRunResult>>;
  /** A dropped or chosen .onnx/.pcm file's graph, for the model viewer. */
  viewModelFile(file: DroppedFile): Promise<Availability<GraphView>>;
}
