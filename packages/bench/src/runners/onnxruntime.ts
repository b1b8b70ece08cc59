import type { BenchCase, ModelCase } from "../cases.ts";
import { cnnParams, syntheticBatch } from "../models/params.ts";
import { uniformArray } from "../models/seeded.ts";
import { cnnOnnx, conv2dOnnx, matmulOnnx } from "../onnx/bench-models.ts";
import { ready, unsupported, type Prepared, type Runner, type RunnerInfo } from "./types.ts";

type Ort = typeof import("onnxruntime-common");
type OrtTensor = import("onnxruntime-common").Tensor;

/** wasm = onnxruntime-web's WASM provider, node = onnxruntime-node (native), webgpu = onnxruntime-web's WebGPU provider. */
export type OrtFlavour = "web" | "node" | "webgpu";

const PACKAGE: Record<OrtFlavour, string> = { web: "onnxruntime-web", node: "onnxruntime-node", webgpu: "onnxruntime-web" };
const PROVIDER: Record<OrtFlavour, string> = { web: "wasm", node: "cpu", webgpu: "webgpu" };

/** The model bytes and float32 inputs of one case, in ONNX's NCHW layout. */
export function onnxCase(c: BenchCase): { model: Uint8Array; feeds: Record<string, { data: Float32Array; dims: number[] }>; output: string } | undefined {
  switch (c.kind) {
    case "matmul": {
      const dims = [c.n, c.n];
      return {
        model: matmulOnnx(c.n),
        feeds: { a: { data: uniformArray(c.n * c.n, 1, 11), dims }, b: { data: uniformArray(c.n * c.n, 1, 12), dims } },
        output: "c",
      };
    }
    case "conv2d": {
      const { batch, channels, size, outChannels, kernel } = c.shape;
      const weight = uniformArray(outChannels * channels * kernel * kernel, 0.1, 22);
      return {
        model: conv2dOnnx(c.shape, weight),
        feeds: { x: { data: uniformArray(batch * channels * size * size, 1, 21), dims: [batch, channels, size, size] } },
        output: "y",
      };
    }
    case "infer":
      if (c.model !== "cnn") return undefined;
      return { model: cnnOnnx(cnnParams(), c.batch), feeds: { x: { data: syntheticBatch(c.batch).images, dims: [c.batch, 1, 28, 28] } }, output: "logits" };
    case "train":
    case "model":
      return undefined;
  }
}

/**
 * onnxruntime-web on its WASM provider, onnxruntime-node's native CPU provider (the ceiling), or
 * onnxruntime-web's WebGPU provider. The module comes from the caller, so the browser bundle never
 * sees onnxruntime-node.
 */
export class OnnxRuntimeRunner implements Runner {
  readonly id: string;
  private ort!: Ort;
  private threads = 1;

  constructor(
    readonly flavour: OrtFlavour,
    private readonly load: () => Promise<unknown>,
  ) {
    this.id = `ort-${flavour}`;
  }

  async init(threads: number): Promise<RunnerInfo | { unavailable: string }> {
    try {
      this.ort = (await this.load()) as Ort;
    } catch (err) {
      return { unavailable: `${PACKAGE[this.flavour]} did not load: ${(err as Error).message.split("\n")[0]}` };
    }
    this.threads = threads;
    const versions = this.ort.env.versions as Record<string, string | undefined> | undefined;
    const version = versions?.[this.flavour === "node" ? "node" : "web"] ?? versions?.common ?? "?";
    if (this.flavour === "web") {
      // Read once, when the WASM module starts: one pass per thread count (see pass-main.ts).
      this.ort.env.wasm.numThreads = threads;
      this.ort.env.wasm.proxy = false;
    }
    const detail = {
      web: `onnxruntime-web ${version}, WASM SIMD, numThreads=${threads}`,
      node: `onnxruntime-node ${version}, native CPU provider, intraOpNumThreads=${threads}`,
      webgpu: `onnxruntime-web ${version}, WebGPU provider`,
    }[this.flavour];
    const label = { web: "ort-web", node: "ort-node", webgpu: "ort-webgpu" }[this.flavour];
    return { id: this.id, label, detail, threads, singleThreadOnly: false };
  }

  covers(c: BenchCase): boolean {
    return c.kind !== "infer" || c.model === "cnn";
  }

  /** Training needs onnxruntime's training build and artifacts made by its Python tools; the inference packages ship neither. */
  private trainingGap(): string {
    const hasTraining = typeof (this.ort as unknown as Record<string, unknown>).TrainingSession === "function";
    return hasTraining
      ? "cannot train here: its TrainingSession needs checkpoint/optimizer artifacts from onnxruntime-training's Python generator"
      : `cannot train: ${PACKAGE[this.flavour]} has inference only (no TrainingSession in this package)`;
  }

  async prepare(c: BenchCase): Promise<Prepared> {
    if (c.kind === "model") return this.prepareModel(c);
    const spec = onnxCase(c);
    if (!spec) return unsupported(c.kind === "train" ? this.trainingGap() : `no ONNX model for ${c.id}`);
    const ort = this.ort;
    const feeds: Record<string, OrtTensor> = {};
    for (const [name, f] of Object.entries(spec.feeds)) feeds[name] = new ort.Tensor("float32", f.data, f.dims);
    return this.job(spec.model, feeds, spec.output);
  }

  /** A real model of the suite, fed the same values as Polychip (int64 inputs as BigInt64, bool as bytes). */
  private async prepareModel(c: ModelCase): Promise<Prepared> {
    // Loaded on use: the model cache reads files, and this runner is also bundled into the WebGPU page.
    const { loadRealModel, onnxruntimeFeeds } = await import("../models/real-models.ts");
    const { bytes, feeds, output } = await loadRealModel(c);
    const ort = this.ort;
    const tensors: Record<string, OrtTensor> = onnxruntimeFeeds(feeds, (type, data, shape) => new ort.Tensor(type, data, shape));
    return this.job(bytes, tensors, output);
  }

  private async job(model: Uint8Array, feeds: Record<string, OrtTensor>, output: string): Promise<Prepared> {
    const session = await this.ort.InferenceSession.create(model, {
      executionProviders: [PROVIDER[this.flavour]],
      graphOptimizationLevel: "all",
      intraOpNumThreads: this.threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
    });
    let result: Float32Array | undefined;
    return ready({
      run: async () => {
        const out = await session.run(feeds);
        result = out[output]!.data as Float32Array;
      },
      output: () => result!,
      dispose: () => session.release(),
    });
  }

  async close(): Promise<void> {}
}
