import type { BenchCase, Conv2dCase, InferCase, MatmulCase, TrainCase } from "../cases.ts";
import { nchwToNhwc, nhwcToNchw, oihwToHwio } from "../models/layouts.ts";
import { modelParams, SGD_LR, syntheticBatch } from "../models/params.ts";
import { uniformArray } from "../models/seeded.ts";
import { buildTfjsModel } from "./tfjs-models.ts";
import { ready, unsupported, type Job, type Prepared, type Runner, type RunnerInfo } from "./types.ts";

type Tf = typeof import("@tensorflow/tfjs-core");
type TfTensor = import("@tensorflow/tfjs-core").Tensor;

export type TfjsBackend = "cpu" | "wasm" | "webgpu";

/**
 * How this platform loads tfjs: Node and the browser page differ in how gradients are registered
 * and which backend packages can be imported, so the runner takes them from its caller.
 */
export interface TfjsPlatform {
  /** tfjs-core with its gradients registered (one module, one active backend, shared by every tfjs runner). */
  loadTf(): Promise<Tf>;
  /** Imports the backend package (registering it) and returns its version and thread details. */
  loadBackend(backend: TfjsBackend, tf: Tf, threads: number): Promise<{ detail: string; threads: number }>;
}

function shortError(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split("\n")[0]!.slice(0, 160);
}

/** A tfjs backend: `cpu` (plain JavaScript), `wasm` (XNNPACK) or `webgpu`. */
export class TfjsRunner implements Runner {
  readonly id: string;
  private tf!: Tf;

  constructor(
    readonly backend: TfjsBackend,
    private readonly platform: TfjsPlatform,
  ) {
    this.id = `tfjs-${backend}`;
  }

  async init(threads: number): Promise<RunnerInfo | { unavailable: string }> {
    let loaded: { detail: string; threads: number };
    try {
      this.tf = await this.platform.loadTf();
      loaded = await this.platform.loadBackend(this.backend, this.tf, threads);
      await this.select();
    } catch (err) {
      return { unavailable: `${this.id} did not start: ${shortError(err)}` };
    }
    // A GPU backend's thread count is not the CPU's: it never counts as single-threaded.
    const singleThreadOnly = this.backend !== "webgpu" && loaded.threads === 1;
    return { id: this.id, label: this.id, detail: loaded.detail, threads: loaded.threads, singleThreadOnly };
  }

  private async select(): Promise<void> {
    if (this.tf.getBackend() === this.backend) return;
    if (!(await this.tf.setBackend(this.backend))) throw new Error(`tfjs backend '${this.backend}' failed to initialise`);
  }

  /** tfjs reads no ONNX, so the real models (--models) are not its cases, and it has no ResNet. */
  covers(c: BenchCase): boolean {
    return c.kind !== "model" && ((c.kind !== "train" && c.kind !== "infer") || c.model !== "resnet");
  }

  async prepare(c: BenchCase): Promise<Prepared> {
    if (c.kind === "model") return unsupported("tfjs does not read ONNX models");
    await this.select();
    switch (c.kind) {
      case "matmul":
        return ready(this.matmulJob(c));
      case "conv2d":
        return ready(this.conv2dJob(c));
      case "train":
        return this.trainJob(c);
      case "infer":
        return c.model === "resnet" ? unsupported("no ResNet in the tfjs peers") : ready(this.inferJob({ ...c, model: c.model }));
    }
  }

  /** A job whose result tensor is kept for the agreement check, converted to NCHW when needed. */
  private resultJob(compute: () => TfTensor, toCanonical: (data: Float32Array) => Float32Array, inputs: TfTensor[]): Job {
    let last: TfTensor | undefined;
    let host: Float32Array | undefined;
    return {
      before: () => this.select(),
      run: async () => {
        const result = compute();
        host = (await result.data()) as Float32Array;
        last?.dispose();
        last = result;
      },
      output: () => toCanonical(host!),
      dispose: () => {
        last?.dispose();
        inputs.forEach((t) => t.dispose());
      },
    };
  }

  private matmulJob(c: MatmulCase): Job {
    const tf = this.tf;
    const a = tf.tensor2d(uniformArray(c.n * c.n, 1, 11), [c.n, c.n]);
    const b = tf.tensor2d(uniformArray(c.n * c.n, 1, 12), [c.n, c.n]);
    return this.resultJob(
      () => tf.matMul(a, b),
      (d) => d,
      [a, b],
    );
  }

  private conv2dJob(c: Conv2dCase): Job {
    const tf = this.tf;
    const { batch, channels, size, outChannels, kernel } = c.shape;
    const x = tf.tensor4d(nchwToNhwc(uniformArray(batch * channels * size * size, 1, 21), batch, channels, size, size), [batch, size, size, channels]);
    const filter = oihwToHwio({ shape: [outChannels, channels, kernel, kernel], data: uniformArray(outChannels * channels * kernel * kernel, 0.1, 22) });
    const w = tf.tensor4d(filter.data, filter.shape as [number, number, number, number]);
    return this.resultJob(
      () => tf.conv2d(x, w, 1, "same"),
      (d) => nhwcToNchw(d, batch, size, size, outChannels),
      [x, w],
    );
  }

  private images(model: "mlp" | "cnn", batch: number): TfTensor {
    const data = syntheticBatch(batch);
    return model === "cnn" ? this.tf.tensor4d(nchwToNhwc(data.images, batch, 1, 28, 28), [batch, 28, 28, 1]) : this.tf.tensor2d(data.images, [batch, 784]);
  }

  private async trainJob(c: TrainCase): Promise<Prepared> {
    const tf = this.tf;
    if (c.model === "resnet") return unsupported("no ResNet in the tfjs peers (the Polychip and PyTorch rows only)");
    const model = buildTfjsModel(tf, modelParams(c.model));
    const x = this.images(c.model, c.batch);
    const labels = tf.tensor1d(syntheticBatch(c.batch).labels, "int32");
    const oneHot = tf.oneHot(labels, 10);
    labels.dispose();
    const optimizer = tf.train.sgd(SGD_LR);
    const lastUpdated = model.variables[model.variables.length - 1]!;
    const step = async (): Promise<number> => {
      const cost = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(oneHot, model.forward(x)) as import("@tensorflow/tfjs-core").Scalar,
        true,
        model.variables,
      );
      const value = (await cost!.data())[0]!;
      cost!.dispose();
      // The update of the last variable is queued last: reading it waits for the whole step on asynchronous backends.
      await lastUpdated.data();
      return value;
    };
    const release = () => {
      optimizer.dispose();
      model.dispose();
      x.dispose();
      oneHot.dispose();
    };
    let firstLoss: number;
    try {
      // Detect, don't assume: a backend without a gradient kernel throws here.
      firstLoss = await step();
    } catch (err) {
      release();
      return unsupported(`cannot train: ${shortError(err)}`);
    }
    return ready({ firstLoss, before: () => this.select(), run: async () => void (await step()), dispose: release });
  }

  private inferJob(c: InferCase & { model: "mlp" | "cnn" }): Job {
    const tf = this.tf;
    const model = buildTfjsModel(tf, modelParams(c.model));
    const x = this.images(c.model, c.batch);
    const job = this.resultJob(
      () => tf.tidy(() => model.forward(x)),
      (d) => d,
      [x],
    );
    return { ...job, dispose: () => (job.dispose(), model.dispose()) };
  }

  async close(): Promise<void> {
    // tfjs keeps its backends for the life of the process; jobs freed their tensors.
  }
}
