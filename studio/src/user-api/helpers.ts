/**
 * Helpers that only exist inside the studio, next to the engine's own API in the "polychip" module
 * that user code imports. Each one talks to the studio through the current run's context.
 */
import {
  DataLoader as DatasetLoader,
  assembleFashionMnist,
  FASHION_MNIST_FILES,
  fetchFashionMnistFiles,
  gunzipWithStream,
  type FashionMnist,
  type Batch,
  type FashionMnistFileBytes,
  type Split,
} from "@polychip/datasets/browser";
import { parseCsvTable, type CsvTable } from "./csv.ts";
import { currentRunContext, runContext, type DroppedFile, type OptionalFeature } from "./run-context.ts";

export { batches, batchShape, batchCount, FASHION_MNIST_CLASSES, type Split, type Batch, type FashionMnist } from "@polychip/datasets/browser";
export type { CsvTable } from "./csv.ts";
export type { DroppedFile, OptionalFeature } from "./run-context.ts";

/** A feature whose package has not landed in this build, or that this browser cannot provide. */
export class FeatureUnavailableError extends Error {
  override name = "FeatureUnavailableError";
}

/** The device picked in the studio's devices panel ("cpu", "webgpu", "npu-sim"); already the default device. */
export function studioDevice(): string {
  return runContext().device;
}

/**
 * Records one training step for the live charts: `log(step, { loss, accuracy })`. Any numeric
 * metric gets its own chart. Give `samples` (the batch size) to see throughput in examples/s.
 */
export function log(step: number, metrics: Record<string, number>, options: { samples?: number } = {}): void {
  const ctx = runContext();
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === "number" && Number.isFinite(v)) values[k] = v;
  ctx.metric({ step, time: performance.now() - ctx.startedAt, values, samples: options.samples });
}

/** Hands a model to the studio: the graph view traces it and the model panel exports it. */
export function setModel(module: unknown, ...exampleInputs: unknown[]): void {
  runContext().model({ module, exampleInputs, name: module?.constructor?.name ?? "model" });
}

/**
 * Shows a graph in the graph view beside the model handed to `setModel`: the deployed int8 graph
 * from `quantizeGraph`, an optimised or imported one. The graph view's menu picks it by `name`.
 */
export function showGraph(graph: unknown, name: string): void {
  runContext().graph(graph, name);
}

/**
 * Values kept between runs while the studio's "keep state" box is ticked (the same worker runs
 * the next run, as a notebook runs its next cell): `session.model ??= new nn.Linear(4, 2)` trains
 * on where the last run left off. Empty again after "Reset state", Stop, or without the box.
 */
export const session: Record<string, any> = {};

/** Files dropped on the studio page (data sets, .onnx and model files). */
export function droppedFiles(): DroppedFile[] {
  return [...runContext().files];
}

/** The dropped file with this exact name, or the first whose name ends with it (".onnx"). */
export function droppedFile(nameOrSuffix: string): DroppedFile | undefined {
  const files = runContext().files;
  return files.find((f) => f.name === nameOrSuffix) ?? files.find((f) => f.name.endsWith(nameOrSuffix));
}

/** Runs `load` and reports its time as data loading (the profiler shows it apart from the steps). */
function timedLoad<T>(name: string, load: () => T): T {
  const start = performance.now();
  const result = load();
  if (result instanceof Promise) return result.finally(() => currentRunContext()?.dataLoaded(name, start, performance.now())) as T;
  currentRunContext()?.dataLoaded(name, start, performance.now());
  return result;
}

/**
 * Batches of a split, one epoch per iteration (shuffled with `shuffle`, standardised with
 * `standardize`). In the studio the time spent assembling each batch shows on the profiler's
 * "data loading" lane, apart from the training step that uses it.
 */
export class DataLoader extends DatasetLoader {
  override [Symbol.iterator](): Iterator<Batch> {
    const epoch = super[Symbol.iterator]();
    return {
      next: () => {
        const start = performance.now();
        const result = epoch.next();
        if (!result.done) currentRunContext()?.dataLoaded("next batch", start, performance.now());
        return result;
      },
    };
  }
}

function truncate(split: Split, limit: number | undefined): Split {
  if (limit === undefined || limit >= split.count) return split;
  return { images: split.images.subarray(0, limit * 784), labels: split.labels.subarray(0, limit), count: limit };
}

/**
 * Fashion-MNIST: the four IDX files when they were dropped on the page, else the embedded subset
 * served with the studio (10,000 train / 2,000 test images). `trainLimit`/`testLimit` keep the first N.
 */
export async function loadFashionMnist(options: { trainLimit?: number; testLimit?: number } = {}): Promise<FashionMnist> {
  return timedLoad("load Fashion-MNIST", () => readFashionMnist(options));
}

async function readFashionMnist(options: { trainLimit?: number; testLimit?: number }): Promise<FashionMnist> {
  const ctx = runContext();
  const dropped = droppedFashionMnist(ctx.files);
  let data: FashionMnist;
  if (dropped) {
    const { train, test } = await assembleFashionMnist(dropped, gunzipWithStream);
    data = { train, test, source: "dir", description: `Fashion-MNIST from dropped files: ${train.count} train, ${test.count} test images` };
  } else {
    const { train, test } = await assembleFashionMnist(await fetchFashionMnistFiles(ctx.fashionMnistUrl), gunzipWithStream);
    data = { train, test, source: "embedded", description: `Fashion-MNIST embedded subset: ${train.count} train, ${test.count} test images` };
  }
  return { ...data, train: truncate(data.train, options.trainLimit), test: truncate(data.test, options.testLimit) };
}

function droppedFashionMnist(files: readonly DroppedFile[]): FashionMnistFileBytes | undefined {
  const out: Partial<FashionMnistFileBytes> = {};
  for (const [key, standard] of Object.entries(FASHION_MNIST_FILES) as [keyof FashionMnistFileBytes, string][]) {
    const stem = standard.replace(/\.gz$/, "");
    const file = files.find((f) => f.name === standard || f.name === stem);
    if (!file) return undefined;
    out[key] = { bytes: file.bytes, name: file.name };
  }
  return out as FashionMnistFileBytes;
}

/** A dropped CSV file as numbers (header row detected); the first .csv when no name is given. */
export function loadCsv(name?: string): CsvTable {
  const file = name ? droppedFile(name) : runContext().files.find((f) => f.name.toLowerCase().endsWith(".csv"));
  if (!file) throw new FeatureUnavailableError(name ? `no dropped file named '${name}'` : "no CSV file was dropped on the page");
  return timedLoad(`load ${file.name}`, () => parseCsvTable(new TextDecoder().decode(file.bytes), file.name));
}

/**
 * An optional package: "graph" (trace, the graph IR), "runtime" (createSession, serializeModel,
 * parseModel), "deploy" (calibrate, quantizeGraph, float16Graph), "onnx" (importOnnx,
 * exportOnnx), "webgpu", "npu-sim". Throws FeatureUnavailableError naming the reason when this
 * build or browser does not have it.
 */
export async function loadOptional(name: OptionalFeature): Promise<Record<string, any>> {
  return runContext().optional(name);
}

/**
 * Makes another device usable in this run besides the one picked in the studio (e.g. train on
 * "cpu", deploy on "npu-sim"). Throws FeatureUnavailableError with the reason when it cannot.
 */
export async function loadDevice(name: string): Promise<void> {
  await runContext().loadDevice(name);
}

/** Resolves after `ms` milliseconds (lets the page breathe in long loops; Stop works regardless). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
