/**
 * What the studio's worker hands to the user-facing helpers for one run: where metrics, models and
 * data come from and go to. Kept apart from the helpers so the helpers stay a small public surface
 * (their source is also what Monaco's IntelliSense reads).
 */
export interface MetricPoint {
  step: number;
  /** Milliseconds since the run started. */
  time: number;
  values: Record<string, number>;
  /** Examples processed by this step, when the user said so (throughput in examples/s). */
  samples?: number;
}

export interface DroppedFile {
  name: string;
  bytes: Uint8Array;
}

/** A model the user code handed to the studio (graph view, export). */
export interface RegisteredModel {
  module: unknown;
  exampleInputs: unknown[];
  name: string;
}

export interface RunContext {
  /** Device the user picked in the devices panel. */
  device: string;
  /** Base URL of the embedded Fashion-MNIST subset served with the studio. */
  fashionMnistUrl: string;
  files: DroppedFile[];
  metric(point: MetricPoint): void;
  /** Reports time spent loading data (worker clock), shown apart from the steps' compute. */
  dataLoaded(name: string, start: number, end: number): void;
  model(model: RegisteredModel): void;
  /** A graph for the graph view besides the model (a deployed, quantised one), under a name. */
  graph(graph: unknown, name: string): void;
  /** Lazily loaded optional packages; throws FeatureUnavailableError with the reason when absent. */
  optional(name: OptionalFeature): Promise<Record<string, unknown>>;
  /** Registers a device ("webgpu", "npu-sim") in this run's engine; throws with the reason when it cannot. */
  loadDevice(name: string): Promise<void>;
  startedAt: number;
}

/** Packages the studio loads only when this build has them (see the gallery's "not available yet"). */
export type OptionalFeature = "onnx" | "webgpu" | "npu-sim" | "graph" | "runtime" | "deploy";

let current: RunContext | undefined;

export function setRunContext(ctx: RunContext | undefined): void {
  current = ctx;
}

/** The current run's context, or undefined outside a run (a data loader iterated after the run ended). */
export function currentRunContext(): RunContext | undefined {
  return current;
}

export function runContext(): RunContext {
  if (!current) throw new Error("polychip studio helpers can only be used while a run is in progress");
  return current;
}
