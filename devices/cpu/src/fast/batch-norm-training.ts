import { numAttr, sizeOf, type Attrs } from "@polychip/hal";
import type { CpuBuffer, CpuDevice, FastPath } from "../device.ts";
import { decomposedKernel } from "../kernels/decomposed.ts";
import type { CpuKernel, CpuRegistration } from "../kernels/registration.ts";
import type { GeneratedModule, WasmRuntime } from "../runtime/runtime.ts";
import type { CpuView } from "../views.ts";
import { batchNormModuleBytes, type BatchNormLoop } from "./batch-norm-wasm.ts";
import { address, contiguous, fastPathOf } from "./support.ts";

const modules = new WeakMap<WasmRuntime, Map<BatchNormLoop, GeneratedModule>>();

function moduleOf(rt: WasmRuntime, loop: BatchNormLoop): GeneratedModule {
  let loaded = modules.get(rt);
  if (!loaded) modules.set(rt, (loaded = new Map()));
  let module = loaded.get(loop);
  if (!module) loaded.set(loop, (module = rt.loadModule(batchNormModuleBytes(loop, rt.shared))));
  return module;
}

/** Per-channel float32 vectors a launch can fill (the gradient with its relu mask takes four). */
const VECTORS = 4;

/** One call's geometry, its host scratch (float64 sums, float32 per-channel vectors, in the WASM memory) and the loops it runs. */
class Launch {
  readonly channels: number;
  readonly count: number;
  private readonly dims: number[];
  private readonly scratch: CpuBuffer;
  readonly sums: Float64Array;
  private readonly vectors: Float32Array;

  constructor(
    private readonly device: CpuDevice,
    private readonly path: FastPath,
    x: CpuView,
  ) {
    const [n, c] = x.shape as [number, number];
    this.channels = c;
    this.count = sizeOf(x.shape) / c;
    this.dims = [n, c, this.count / n];
    this.scratch = device.alloc(c * 16 + c * 4 * VECTORS);
    this.sums = new Float64Array(this.scratch.data, this.scratch.byteOffset, 2 * c);
    this.vectors = new Float32Array(this.scratch.data, this.scratch.byteOffset + c * 16, VECTORS * c);
  }

  /** The address of per-channel scratch vector i (0..VECTORS-1), filled with `values`. */
  vector(i: number, values: (c: number) => number): number {
    for (let c = 0; c < this.channels; c++) this.vectors[i * this.channels + c] = values(c);
    return this.scratch.wasmOffset! + this.channels * (16 + 4 * i);
  }

  get sumsAddress(): number {
    return this.scratch.wasmOffset!;
  }

  run(loop: BatchNormLoop, pointers: readonly number[]): void {
    // A chunk per channel, however large the batch: the element count tells the jobs' sizes apart.
    this.path.runtime.runModule(this.path.pool, moduleOf(this.path.runtime, loop), [...pointers, ...this.dims], this.channels, 0, this.channels * this.count);
  }

  release(): void {
    this.device.free(this.scratch);
  }
}

const f32Of = (v: CpuView) => new Float32Array(v.buffer.data, address(v)!, sizeOf(v.shape));

/** The forward's per-channel scale w / sqrt(var + epsilon) as float32: the relu gradient recomputes y with the very same. */
const forwardScale = (weight: CpuView, variance: CpuView, epsilon: number) => {
  const w = f32Of(weight);
  const v = f32Of(variance);
  return (c: number) => w[c]! / Math.sqrt(v[c]! + epsilon);
};

/** batchNormTraining, or batchNormTrainingRelu with `relu`: the relu applied as y is stored. */
const forward =
  (relu: boolean) =>
  (l: Launch, [x, weight, bias]: readonly CpuView[], [y, mean, variance]: readonly CpuView[], attrs: Attrs): void => {
    const epsilon = numAttr(relu ? "batchNormTrainingRelu" : "batchNormTraining", attrs, "epsilon", 1e-5);
    const xs = f32Of(x!);
    const lineLength = l.count / x!.shape[0]!;
    // Each channel's sums are taken about one of its own values, so a large mean does not cancel its variance.
    const shift = (c: number) => xs[c * lineLength]!;
    l.run("stats", [address(x!)!, l.vector(0, shift), l.sumsAddress]);
    const m = f32Of(mean!);
    const v = f32Of(variance!);
    for (let c = 0; c < l.channels; c++) {
      const centredMean = l.sums[2 * c]! / l.count;
      m[c] = shift(c) + centredMean;
      v[c] = Math.max(0, l.sums[2 * c + 1]! / l.count - centredMean * centredMean);
    }
    const scale = l.vector(1, forwardScale(weight!, variance!, epsilon));
    l.run(relu ? "normaliseRelu" : "normalise", [address(x!)!, address(y!)!, address(mean!)!, scale, address(bias!)!]);
  };

/** batchNormTrainingGrad, or with `relu` batchNormTrainingReluGrad (inputs g, x, weight, bias, mean, variance), whose g is masked where relu(y) was 0. */
const backward =
  (relu: boolean) =>
  (l: Launch, inputs: readonly CpuView[], [dx, dweight, dbias]: readonly CpuView[], attrs: Attrs): void => {
    const [g, x, weight, bias, mean, variance] = relu ? inputs : [inputs[0], inputs[1], inputs[2], undefined, inputs[3], inputs[4]];
    const epsilon = numAttr(relu ? "batchNormTrainingReluGrad" : "batchNormTrainingGrad", attrs, "epsilon", 1e-5);
    const mask = relu ? [l.vector(3, forwardScale(weight!, variance!, epsilon)), address(bias!)!] : [];
    l.run(relu ? "gradSumsRelu" : "gradSums", [address(g!)!, address(x!)!, address(mean!)!, ...mask, l.sumsAddress]);
    const w = f32Of(weight!);
    const v = f32Of(variance!);
    const dw = f32Of(dweight!);
    const db = f32Of(dbias!);
    const invstd = Array.from({ length: l.channels }, (_, c) => 1 / Math.sqrt(v[c]! + epsilon));
    const a = (c: number) => w[c]! * invstd[c]!;
    for (let c = 0; c < l.channels; c++) {
      db[c] = l.sums[2 * c]!;
      dw[c] = l.sums[2 * c + 1]! * invstd[c]!;
    }
    const pa = l.vector(0, a);
    const pb = l.vector(1, (c) => (-a(c) * invstd[c]! * invstd[c]! * l.sums[2 * c + 1]!) / l.count);
    const pk = l.vector(2, (c) => (-a(c) * l.sums[2 * c]!) / l.count);
    l.run(relu ? "gradInputRelu" : "gradInput", [address(g!)!, address(x!)!, address(dx!)!, address(mean!)!, pa, pb, pk, ...mask]);
  };

/**
 * batchNormTraining and batchNormTrainingGrad (and their relu forms) on contiguous float32 in the
 * WASM memory as two generated loops each (batch-norm-wasm.ts): forward reads x twice and writes y
 * once (relu'd as it is stored); backward reads g and x twice (masking g where the relu was) and
 * writes dx once. Per-channel scalars are computed on the host in float64.
 * Anything else (wasm off, other dtypes or layouts) runs the HAL decomposition on `kernels()`.
 */
export function batchNormTrainingKernels(kernels: () => readonly CpuRegistration[]): CpuRegistration[] {
  const registration = (op: string, run: ReturnType<typeof backward>): CpuRegistration => {
    const decomposed = decomposedKernel(op, kernels).kernel;
    const kernel: CpuKernel = (call, device) => {
      const path = fastPathOf(device);
      const views = [...call.inputs, ...call.outputs] as CpuView[];
      if (!path || !views.every((v) => v.dtype === "float32" && contiguous(v) && address(v) !== undefined)) return decomposed(call, device);
      const launch = new Launch(device as CpuDevice, path, views[op.endsWith("Grad") ? 1 : 0]!);
      if (launch.sumsAddress === undefined || launch.count === 0) {
        launch.release();
        return decomposed(call, device);
      }
      try {
        run(launch, call.inputs as CpuView[], call.outputs as CpuView[], call.attrs);
      } finally {
        launch.release();
      }
    };
    return { device: "cpu", op, dtypes: ["float32"], kernel };
  };
  return [
    registration("batchNormTraining", forward(false)),
    registration("batchNormTrainingRelu", forward(true)),
    registration("batchNormTrainingGrad", backward(false)),
    registration("batchNormTrainingReluGrad", backward(true)),
  ];
}
