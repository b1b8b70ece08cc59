// Devices load by name (--device webgpu | npu-sim): the first-party list registers their loaders.
import "@polychip/devices";
import { batches, type Split } from "@polychip/datasets";
import { calibrate, float16Graph, quantizeGraph, type ObserverKind } from "@polychip/engine/deploy";
import {
  createSession,
  fallbackReport,
  PolychipError,
  profiler,
  resetFallbackReport,
  useDevice,
  type FallbackRecord,
  type Graph,
} from "@polychip/engine/runtime";
import type { ProfileEvent } from "@polychip/hal";
import { evaluateGraph } from "./graph-accuracy.ts";

export type Precision = "fp32" | "fp16" | "int8";

/** Batch size of the "per image" latency figure. */
export const LATENCY_BATCH = 64;

/** Loads a device by name ("cpu", "webgpu", "npu-sim") or a plugin by package name or path. */
export async function loadDevice(name: string): Promise<void> {
  await useDevice(name);
}

/** Model inputs for a batch of Fashion-MNIST images: [n, 1, 28, 28] or [n, 784], whichever the graph takes. */
export function inputFor(graph: Graph, x: Float32Array, n: number): Record<string, { data: Float32Array; shape: number[] }> {
  const input = graph.inputs[0];
  if (!input || graph.inputs.length !== 1) throw new PolychipError(`deploy: expects a model with one input, '${graph.name}' has ${graph.inputs.length}`);
  return { [input.name]: { data: x, shape: input.shape.length === 4 ? [n, 1, 28, 28] : [n, 784] } };
}

export interface CalibrationSettings {
  /** Training images to calibrate on (the first ones of a seeded shuffle). */
  readonly images: number;
  readonly observer: ObserverKind;
  readonly percentile?: number;
}

export interface PreparedModel {
  readonly graph: Graph;
  readonly precision: Precision;
  /** "percentile 99.99% over 512 samples", for int8. */
  readonly calibration?: string;
}

/** The graph to deploy at a precision: fp32 as it is, fp16 cast, int8 calibrated on `train` (on the cpu) and quantised. */
export async function prepareModel(graph: Graph, precision: Precision, train: Split, settings: CalibrationSettings): Promise<PreparedModel> {
  if (precision === "fp32") return { graph, precision };
  if (precision === "fp16") return { graph: float16Graph(graph), precision };
  const batchSize = Math.min(LATENCY_BATCH, settings.images);
  const samples = function* () {
    let left = settings.images;
    for (const b of batches(train, { batchSize, shuffle: true, seed: 2024, dropLast: false, standardize: true })) {
      if (left <= 0) return;
      const n = Math.min(left, b.size);
      yield inputFor(graph, b.x.subarray(0, n * 784), n);
      left -= n;
    }
  };
  const calibration = await calibrate(graph, samples(), { observer: settings.observer, percentile: settings.percentile });
  const quantized = quantizeGraph(graph, calibration);
  return { graph: quantized, precision, calibration: quantized.metadata?.calibration };
}

/** What one deployment did: accuracy, latency per image, what fell back, what the chip reported. */
export interface DeploymentReport {
  readonly device: string;
  readonly precision: Precision;
  readonly accuracy: number;
  readonly correct: number;
  readonly images: number;
  readonly latency: {
    /** Simulated (the device reports its cost model's times) or measured wall time. */
    readonly simulated: boolean;
    readonly batch1Ms: number;
    readonly perImageMs: number;
    readonly batch: number;
    /** Host time of CPU fallbacks inside the timed runs (wall time even on a simulated device). */
    readonly fallbackMs: number;
  };
  readonly fallbacks: readonly FallbackRecord[];
  /** The subgraphs the device's plugin claimed. */
  readonly claims: readonly string[];
  /** Summed kernel statistics of the batch run, for devices whose kernels report them (npu-sim). */
  readonly chip?: { readonly kernels: number; readonly macs: number; readonly macUtilisation: number; readonly dmaBytes: number; readonly hostBytes: number };
  readonly seconds: number;
}

/** The first `limit` images of a split (all of them without a limit). */
export function firstImages(split: Split, limit?: number): Split {
  if (limit === undefined || limit >= split.count) return split;
  return { images: split.images.subarray(0, limit * 784), labels: split.labels.subarray(0, limit), count: limit };
}

/**
 * Deploys a prepared graph on a device and measures it: accuracy over `test`, latency of a batch-1
 * run and per image of a batch-64 run, the ops that fell back to the CPU, and (npu-sim) MAC
 * utilisation and DMA traffic. A device whose kernel events carry `simulatedMs` is timed by its
 * cost model: the latency is the sum of its kernel and transfer events; other devices are timed
 * by the wall clock (best of a few runs).
 */
export async function measureDeployment(model: PreparedModel, device: string, test: Split): Promise<DeploymentReport> {
  const started = performance.now();
  await loadDevice(device);
  resetFallbackReport();
  const { accuracy, correct } = await evaluateGraph(model.graph, test, device);
  const session = await createSession(model.graph, { device });
  try {
    const claims = session.claims?.claims.map((c) => c.claim.name) ?? [];
    const first = batches(test, { batchSize: LATENCY_BATCH, shuffle: false, dropLast: false, standardize: true })[Symbol.iterator]().next().value!;
    const images = Float32Array.from({ length: LATENCY_BATCH * 784 }, (_, i) => first.x[i % first.x.length]!);
    const isSimulated = (events: ProfileEvent[]) => {
      const kernels = events.filter((e) => e.category === "kernel");
      return kernels.length > 0 && kernels.every((e) => typeof e.args?.simulatedMs === "number");
    };
    /** One profiled run; on a device timed by the wall clock, the best of three after a warm-up run. */
    const timed = async (n: number) => {
      const feed = inputFor(model.graph, images.subarray(0, n * 784), n);
      let best = Infinity;
      let events: ProfileEvent[] = [];
      for (let k = 0; k < 4; k++) {
        profiler.start();
        const t0 = performance.now();
        await session.run(feed);
        const wall = performance.now() - t0;
        const got = profiler.stop().filter((e) => e.device === device);
        if (k === 0 && isSimulated(got)) return { wall, events: got };
        if (k > 0 && wall < best) [best, events] = [wall, got]; // run 0 warms up
      }
      return { wall: best, events };
    };
    const one = await timed(1);
    const many = await timed(LATENCY_BATCH);
    const simulated = isSimulated(many.events);
    const simulatedMs = (events: ProfileEvent[]) =>
      events.filter((e) => e.category === "kernel" || e.category === "transfer").reduce((s, e) => s + e.duration, 0);
    const fallbackMs = many.events.filter((e) => e.category === "fallback").reduce((s, e) => s + e.duration, 0) / LATENCY_BATCH;
    return {
      device,
      precision: model.precision,
      accuracy,
      correct,
      images: test.count,
      latency: {
        simulated,
        batch1Ms: simulated ? simulatedMs(one.events) : one.wall,
        perImageMs: (simulated ? simulatedMs(many.events) : many.wall) / LATENCY_BATCH,
        batch: LATENCY_BATCH,
        fallbackMs,
      },
      fallbacks: fallbackReport().filter((r) => r.device === device),
      claims,
      chip: chipSummary(many.events),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    session.dispose();
  }
}

/** MACs, cycle-weighted MAC utilisation and DMA bytes of the kernels that report them; host bytes of the transfers. */
function chipSummary(events: readonly ProfileEvent[]): DeploymentReport["chip"] {
  const kernels = events.filter((e) => e.category === "kernel" && typeof e.args?.cycles === "number");
  if (kernels.length === 0) return undefined;
  const num = (e: ProfileEvent, key: string) => Number(e.args?.[key] ?? 0);
  const cycles = kernels.reduce((s, e) => s + num(e, "cycles"), 0);
  const busy = kernels.reduce((s, e) => s + num(e, "macUtilisation") * num(e, "cycles"), 0);
  return {
    kernels: kernels.length,
    macs: kernels.reduce((s, e) => s + num(e, "macs"), 0),
    macUtilisation: cycles > 0 ? busy / cycles : 0,
    dmaBytes: kernels.reduce((s, e) => s + num(e, "dmaBytes"), 0),
    hostBytes: events.filter((e) => e.category === "transfer").reduce((s, e) => s + num(e, "bytes"), 0),
  };
}

/** "1.23 ms", "45.6 µs", "789 ns". */
export function formatMs(ms: number): string {
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 1e-3) return `${(ms * 1e3).toFixed(1)} µs`;
  return `${(ms * 1e6).toFixed(0)} ns`;
}
