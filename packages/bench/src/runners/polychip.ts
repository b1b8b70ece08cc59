import { cpuPlugin } from "@polychip/device-cpu";
import { cnn, mlp } from "@polychip/cli";
import type { DevicePlugin } from "@polychip/hal";
import {
  compile,
  conv2d,
  crossEntropy,
  listDevices,
  manualSeed,
  matmul,
  noGrad,
  optim,
  registerPlugin,
  setDefaultDevice,
  tensor,
  tidy,
  type nn,
  type Tensor,
} from "@polychip/engine";
import { getDeviceEntry } from "@polychip/engine/core";
import type { BenchCase, Conv2dCase, InferCase, MatmulCase, ModelCase, TrainCase } from "../cases.ts";
import { modelParams, SGD_LR, syntheticBatch, type HostTensor, type ModelKind, type ModelParams } from "../models/params.ts";
import { resnet } from "../models/resnet.ts";
import { uniformArray } from "../models/seeded.ts";
import { ready, type Job, type Prepared, type Runner, type RunnerInfo } from "./types.ts";

/** Module parameter names of @polychip/cli's models, mapped to the shared weights. */
function stateDictOf(params: ModelParams): Record<string, HostTensor> {
  if (params.kind === "mlp") {
    return { "1.weight": params.fc1.weight, "1.bias": params.fc1.bias, "3.weight": params.fc2.weight, "3.bias": params.fc2.bias };
  }
  return {
    "0.weight": params.conv1.weight,
    "0.bias": params.conv1.bias,
    "3.weight": params.conv2.weight,
    "3.bias": params.conv2.bias,
    "7.weight": params.fc1.weight,
    "7.bias": params.fc1.bias,
    "9.weight": params.fc2.weight,
    "9.bias": params.fc2.bias,
  };
}

/** Built on the default device, which the runner set to its own. */
function buildModel(kind: ModelKind): nn.Module {
  if (kind === "resnet") {
    // Its own init (no shared weights), seeded so the op-by-op and compiled rows start alike.
    manualSeed(1);
    return resnet();
  }
  const model = kind === "mlp" ? mlp() : cnn();
  const state = Object.fromEntries(Object.entries(stateDictOf(modelParams(kind))).map(([k, t]) => [k, tensor(t.data, { shape: [...t.shape] })]));
  model.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  return model;
}

/** Waits until everything queued on the device has run (a thread pool or a GPU queue works asynchronously). */
const syncDevice = (device: string) => getDeviceEntry(device).queue.sync();

/** Keeps the newest result and frees the one before, so repeated runs do not pile up memory. */
class LastResult {
  private tensor: Tensor | undefined;
  private host: Float32Array | undefined;
  async set(t: Tensor): Promise<void> {
    this.host = (await t.data()) as Float32Array;
    this.tensor?.dispose();
    this.tensor = t;
  }
  get value(): Float32Array {
    if (!this.host) throw new Error("no run yet");
    return this.host;
  }
  dispose(): void {
    this.tensor?.dispose();
  }
}

function matmulJob(c: MatmulCase): Job {
  const a = tensor(uniformArray(c.n * c.n, 1, 11), { shape: [c.n, c.n] });
  const b = tensor(uniformArray(c.n * c.n, 1, 12), { shape: [c.n, c.n] });
  const last = new LastResult();
  return {
    run: () => last.set(matmul(a, b)),
    output: () => last.value,
    dispose: () => [a, b, last].forEach((t) => t.dispose()),
  };
}

function conv2dJob(c: Conv2dCase): Job {
  const { batch, channels, size, outChannels, kernel } = c.shape;
  const x = tensor(uniformArray(batch * channels * size * size, 1, 21), { shape: [batch, channels, size, size] });
  const w = tensor(uniformArray(outChannels * channels * kernel * kernel, 0.1, 22), { shape: [outChannels, channels, kernel, kernel] });
  const last = new LastResult();
  return {
    run: () => last.set(conv2d(x, w, undefined, { padding: (kernel - 1) / 2 })),
    output: () => last.value,
    dispose: () => [x, w, last].forEach((t) => t.dispose()),
  };
}

async function trainJob(c: TrainCase, device: string, compiled: boolean | "replay"): Promise<Job> {
  const model = buildModel(c.model);
  const optimizer = new optim.SGD(model.parameters(), { lr: SGD_LR });
  const data = syntheticBatch(c.batch);
  const x = tensor(data.images, { shape: [c.batch, 1, 28, 28] });
  const y = tensor(data.labels, { shape: [c.batch], dtype: "int32" });
  model.train();
  const update = () => {
    const l = crossEntropy(model.forward(x), y);
    optimizer.zeroGrad();
    l.backward();
    optimizer.step();
    return l.detach();
  };
  // The same step as one graph-mode plan (engine/src/compile): fused elementwise chains, planned frees.
  const once = compiled ? compile(update, { name: `${c.model} training step`, replay: compiled === "replay" }) : () => tidy(update);
  const step = async (): Promise<number> => {
    const loss = once();
    const value = await loss.item();
    loss.dispose();
    await syncDevice(device);
    return value;
  };
  const firstLoss = await step();
  return {
    firstLoss,
    run: async () => {
      await step();
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      x.dispose();
      y.dispose();
    },
  };
}

function inferJob(c: InferCase, compiled: boolean | "replay"): Job {
  const model = buildModel(c.model).eval();
  const x = tensor(syntheticBatch(c.batch).images, { shape: [c.batch, 1, 28, 28] });
  const forward = compiled
    ? compile(() => noGrad(() => model.forward(x)), { name: `${c.model} inference`, replay: compiled === "replay" })
    : () => noGrad(() => tidy(() => model.forward(x)));
  const last = new LastResult();
  return {
    run: () => last.set(forward()),
    output: () => last.value,
    dispose: () => {
      last.dispose();
      model.dispose();
      x.dispose();
    },
  };
}

/** A real ONNX model through @polychip/onnx's OnnxSession (planned for the input's shapes on the first run). */
async function modelJob(c: ModelCase, device: string): Promise<Job> {
  // Loaded on use: the model cache reads files, and this runner is also bundled into the WebGPU page.
  const [{ OnnxSession }, { loadRealModel, polychipFeeds }] = await Promise.all([import("@polychip/onnx"), import("../models/real-models.ts")]);
  const { bytes, feeds, output } = await loadRealModel(c);
  const session = await OnnxSession.create(bytes, { device });
  const inputs = polychipFeeds(feeds);
  let result: Float32Array | undefined;
  return {
    run: async () => {
      result = Float32Array.from((await session.run(inputs))[output]!.data);
    },
    output: () => result!,
    dispose: () => session.dispose(),
  };
}

export type PolychipDevice = "cpu" | "webgpu";

/**
 * Polychip through its public engine API on one device: the cpu device at the pass's thread count
 * (when the device takes one), or the webgpu device when its package can be loaded. `compiled`
 * runs the model cases through `compile` (graph mode) instead of op by op; `"replay"` compiles with `{ replay: true }` (the
 * plan runs without calling the step's code once it is stable).
 */
export class PolychipRunner implements Runner {
  readonly id: string;

  /** `loadWebGpu` resolves to the webgpu plugin, or undefined when @polychip/device-webgpu is not there. */
  constructor(
    readonly device: PolychipDevice = "cpu",
    private readonly loadWebGpu?: () => Promise<DevicePlugin<any> | undefined>,
    private readonly compiled: boolean | "replay" = false,
  ) {
    this.id = `${device === "cpu" ? "polychip" : "polychip-webgpu"}${compiled === "replay" ? "-replay" : compiled ? "-compiled" : ""}`;
  }

  async init(threads: number): Promise<RunnerInfo | { unavailable: string }> {
    return this.device === "cpu" ? this.initCpu(threads) : this.initWebGpu();
  }

  private async initCpu(threads: number): Promise<RunnerInfo> {
    const previous = listDevices().find((d) => d.info.name === "cpu");
    // Unknown options are ignored by a device that has no thread pool; what it reports decides the label.
    const device = await registerPlugin(cpuPlugin, { threads } as Parameters<typeof cpuPlugin.create>[0]);
    if (previous && previous !== device) await previous.dispose?.();
    setDefaultDevice("cpu");
    const details = (device.info.details ?? {}) as Record<string, unknown>;
    const actual = typeof details.threads === "number" ? details.threads : 1;
    const extras = Object.entries(details)
      .filter(([k]) => k !== "threads")
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
    const note = actual !== threads ? ` (asked for ${threads}: this device build ${actual === 1 ? "has no thread pool" : `uses ${actual}`})` : "";
    return {
      id: this.id,
      label: this.id,
      detail: `${this.compiled === "replay" ? "compile() graph mode with replay, " : this.compiled ? "compile() graph mode, " : ""}@polychip/device-cpu, ${actual} thread${actual === 1 ? "" : "s"}${extras ? `, ${extras}` : ""}${note}`,
      threads: actual,
      singleThreadOnly: false,
    };
  }

  private async initWebGpu(): Promise<RunnerInfo | { unavailable: string }> {
    let plugin: DevicePlugin<any> | undefined;
    try {
      plugin = await this.loadWebGpu?.();
    } catch (err) {
      return { unavailable: `@polychip/device-webgpu did not load: ${(err as Error).message.split("\n")[0]}` };
    }
    if (!plugin) return { unavailable: "not available: @polychip/device-webgpu is not built yet (its package could not be resolved)" };
    try {
      const device = await registerPlugin(plugin);
      setDefaultDevice("webgpu");
      const details = Object.entries((device.info.details ?? {}) as Record<string, unknown>)
        .filter(([, v]) => typeof v !== "object")
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(", ");
      return {
        id: this.id,
        label: this.id,
        detail: `${this.compiled ? "compile() graph mode, " : ""}@polychip/device-webgpu, ${device.info.vendor}${details ? `, ${details}` : ""}`,
        threads: 1,
        singleThreadOnly: false,
      };
    } catch (err) {
      return { unavailable: `@polychip/device-webgpu did not start: ${(err as Error).message.split("\n")[0]}` };
    }
  }

  covers(c: BenchCase): boolean {
    return !this.compiled || c.kind === "train" || c.kind === "infer";
  }

  async prepare(c: BenchCase): Promise<Prepared> {
    switch (c.kind) {
      case "matmul":
        return ready(matmulJob(c));
      case "conv2d":
        return ready(conv2dJob(c));
      case "train":
        return ready(await trainJob(c, this.device, this.compiled));
      case "infer":
        return ready(inferJob(c, this.compiled));
      case "model":
        return ready(await modelJob(c, this.device));
    }
  }

  async close(): Promise<void> {
    await syncDevice(this.device);
  }
}
