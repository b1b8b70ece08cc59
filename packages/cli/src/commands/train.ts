// Devices load by name (--device webgpu | npu-sim): the first-party list registers their loaders.
import "@polychip/devices";
import { loadFashionMnist } from "@polychip/datasets";
import { fallbackReport, manualSeed, memory, resetFallbackReport, saveCheckpoint, setDefaultDevice, useDevice, type nn } from "@polychip/engine";
import { UsageError } from "../args.ts";
import { checkOutputPath, writeFileAtomic } from "../files.ts";
import { simulatedClockMs } from "../device-clock.ts";
import { createModel } from "../models.ts";
import { checkFiniteState } from "../numerics.ts";
import { describePrecision, precisionTraits, trainingPrecision, type PrecisionChoice, type TrainingPrecision } from "../precision.ts";
import { evaluate, train } from "../training.ts";

export interface TrainArgs {
  model: string;
  epochs: number;
  batch: number;
  lr: number;
  device: string;
  data?: string;
  subset: boolean;
  out: string;
  /** Create the folder of `out` when it is missing (the default runs/); a user-given --out must be in an existing folder. */
  createOutDir?: boolean;
  json: boolean;
  seed: number;
  maxSteps?: number;
  /** Default "auto": mixed-fp16 on an NPU with float16 matmul/conv kernels, fp32 elsewhere (src/precision.ts). */
  precision?: PrecisionChoice;
}

export interface TrainResult {
  model: string;
  device: string;
  epochs: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  testLoss: number;
  seconds: number;
  imagesPerSecond: number;
  data: string;
  checkpoint: string;
  liveTensors: number;
  liveBytes: number;
  precision: TrainingPrecision;
  /** Steps the loss scaler skipped (mixed-fp16 only). */
  skippedSteps: number;
  /** A simulated device's own clock over training and the test pass (kernels + host transfers), ms; absent on real devices. */
  simulatedMs?: number;
  /** Ops that ran on the cpu instead of the device (op, dtype, count): empty when everything ran on the device. */
  fallbacks: { op: string; dtype: string; count: number }[];
}

const log = (json: boolean, line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

/** Saves a checkpoint atomically; a model holding NaN or infinity is refused, so it never replaces a good file. */
export async function saveCheckpointFile(model: nn.Module, path: string, meta: Record<string, unknown>): Promise<Uint8Array> {
  const state = model.stateDict();
  await checkFiniteState(state, `train: not saving ${path}`);
  const bytes = await saveCheckpoint(state, meta);
  await writeFileAtomic(path, bytes, "checkpoint");
  return bytes;
}

/** `polychip train`: trains on Fashion-MNIST, prints per-epoch figures, saves a checkpoint. */
export async function trainCommand(args: TrainArgs): Promise<TrainResult> {
  await checkOutputPath(args.out, "checkpoint", { createParent: args.createOutDir });
  manualSeed(args.seed);
  const device = await useDevice(args.device);
  setDefaultDevice(args.device);
  const precision = trainingPrecision(args.precision ?? "auto", precisionTraits(args.device));
  const clockAtStart = simulatedClockMs(device);
  resetFallbackReport();
  const data = await loadFashionMnist(args.data ? { dir: args.data } : { subset: args.subset });
  log(args.json, `data: ${data.description}`);
  // Refused rather than clamped: a batch the data cannot fill would train nothing and still "succeed".
  if (args.batch > data.train.count)
    throw new UsageError(`train: --batch ${args.batch} is larger than the training set (${data.train.count} images); use at most ${data.train.count}`);
  const model = createModel(args.model);
  log(
    args.json,
    `model: ${args.model} (${model
      .parameters()
      .reduce((n, p) => n + p.size, 0)
      .toLocaleString("en-US")} parameters) on ${args.device}, batch ${args.batch}, Adam lr ${args.lr}`,
  );
  log(args.json, `precision: ${describePrecision(precision)}`);
  const started = performance.now();
  const epochs = await train(model, data.train, {
    epochs: args.epochs,
    batchSize: args.batch,
    lr: args.lr,
    device: args.device,
    seed: args.seed,
    progress: !args.json,
    maxSteps: args.maxSteps,
    precision,
  });
  const seconds = (performance.now() - started) / 1000;
  for (const e of epochs) {
    log(
      args.json,
      `epoch ${e.epoch}: loss ${e.loss.toFixed(4)}  train acc ${(e.accuracy * 100).toFixed(2)}%  ${Math.round(e.imagesPerSecond)} img/s  ${e.seconds.toFixed(1)}s`,
    );
  }
  const test = await evaluate(model, data.test, args.device, undefined, precision);
  log(args.json, `test: accuracy ${(test.accuracy * 100).toFixed(2)}%  loss ${test.loss.toFixed(4)} on ${data.test.count} images`);
  const clockAtEnd = simulatedClockMs(device);
  const simulatedMs = clockAtStart !== undefined && clockAtEnd !== undefined ? clockAtEnd - clockAtStart : undefined;
  if (simulatedMs !== undefined)
    log(args.json, `simulated device time: ${(simulatedMs / 1000).toFixed(3)} s on ${args.device} (training and test pass, by its cost model)`);
  const skippedSteps = epochs.reduce((s, e) => s + e.skippedSteps, 0);
  if (precision === "mixed-fp16")
    log(args.json, `loss scaling: ${skippedSteps} step(s) skipped on float16 overflow, final scale ${epochs[epochs.length - 1]!.lossScale}`);
  const fallbacks = fallbackReport()
    .filter((r) => r.device === args.device && r.to === "cpu")
    .map((r) => ({ op: r.op, dtype: r.dtype, count: r.count }));
  log(args.json, `fallback to cpu: ${fallbacks.length === 0 ? "none" : fallbacks.map((f) => `${f.op}(${f.dtype}) ×${f.count}`).join(", ")}`);
  const bytes = await saveCheckpointFile(model, args.out, { model: args.model, epochs: args.epochs, testAccuracy: test.accuracy, device: args.device });
  log(args.json, `checkpoint: ${args.out} (${(bytes.byteLength / 1024).toFixed(0)} KiB)`);
  const last = epochs[epochs.length - 1]!;
  const mem = memory(args.device)[0];
  const result: TrainResult = {
    model: args.model,
    device: args.device,
    epochs: args.epochs,
    trainLoss: last.loss,
    trainAccuracy: last.accuracy,
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    seconds,
    imagesPerSecond: epochs.reduce((s, e) => s + e.imagesPerSecond, 0) / epochs.length,
    data: data.source,
    checkpoint: args.out,
    liveTensors: mem?.tensors ?? 0,
    liveBytes: mem?.bytes ?? 0,
    precision,
    skippedSteps,
    simulatedMs,
    fallbacks,
  };
  model.dispose();
  return result;
}
