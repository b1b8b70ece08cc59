/**
 * WebGPU on a real GPU without a browser: Polychip's webgpu device (through the engine) beside
 * tfjs-backend-webgpu, both on Dawn (the `webgpu` npm package) in one Node process, taking turns.
 * Used for the GPU figures in RESULTS.md (the GPU machine has no Chromium; onnxruntime-web's WebGPU
 * provider needs a browser, so it is not in this run). `node dawn-bench.mjs [--quick] [--no-train]`;
 * POLYCHIP_WEBGPU_GEMM_TILE=32|64|128 pins Polychip's GEMM tile, to compare tiles on one GPU.
 */
import { conv2d, matmul, nn, optim, crossEntropy, randn, tensor, tidy, useDevice, type Tensor } from "@polychip/engine";
import "@polychip/devices";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { create, globals } from "webgpu";

// One Dawn instance for both libraries, exposed the way a browser exposes WebGPU.
Object.assign(globalThis, globals);
(globalThis as { navigator?: unknown }).navigator = { gpu: create([]) };

const quick = process.argv.includes("--quick");
const train = !process.argv.includes("--no-train");
const REPS = quick ? 2 : 5;
const ITERS = quick ? 2 : 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median over REPS of the mean time of ITERS runs of `once`, after warm-up; `finish` waits for the GPU. */
async function time(once: () => unknown, finish: () => Promise<unknown>): Promise<{ ms: number; min: number; max: number }> {
  for (let i = 0; i < 3; i++) once();
  await finish();
  const samples: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < ITERS; i++) once();
    await finish();
    samples.push((performance.now() - t0) / ITERS);
  }
  return { ms: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

interface Row {
  case: string;
  polychip: number;
  tfjs: number;
  unit: string;
  pcRange: string;
  tfRange: string;
}
const rows: Row[] = [];
const push = (r: Row) => {
  rows.push(r);
  console.log(`${r.case}: polychip ${r.polychip.toFixed(2)} ${r.unit} (${r.pcRange}), tfjs ${r.tfjs.toFixed(2)} ${r.unit} (${r.tfRange})`);
};

async function main(): Promise<void> {
  const device = await useDevice("webgpu");
  await import("@tensorflow/tfjs-backend-webgpu"); // registers itself only when navigator.gpu exists
  await tf.setBackend("webgpu");
  await tf.ready();
  console.log(`adapter: ${JSON.stringify(device.info.details)}; GEMM tile: ${process.env.POLYCHIP_WEBGPU_GEMM_TILE || "chosen by size"}`);

  for (const n of quick ? [256] : [256, 512, 1024, 2048]) {
    const a = randn([n, n], { device: "webgpu" });
    const b = randn([n, n], { device: "webgpu" });
    let last: Tensor | undefined;
    const pc = await time(
      () => {
        last?.dispose();
        last = matmul(a, b);
      },
      () => last!.slice(0, 0, 1).slice(1, 0, 1).data(),
    );
    const ta = tf.randomNormal([n, n]);
    const tb = tf.randomNormal([n, n]);
    let tl: tf.Tensor | undefined;
    const tt = await time(
      () => {
        tl?.dispose();
        tl = tf.matMul(ta, tb);
      },
      () => tf.slice(tl!, [0, 0], [1, 1]).data(),
    );
    const gf = (ms: number) => (2 * n ** 3) / (ms * 1e6);
    push({
      case: `matmul ${n}`,
      polychip: gf(pc.ms),
      tfjs: gf(tt.ms),
      unit: "GFLOP/s",
      pcRange: `${pc.min.toFixed(3)}–${pc.max.toFixed(3)} ms`,
      tfRange: `${tt.min.toFixed(3)}–${tt.max.toFixed(3)} ms`,
    });
    a.dispose();
    b.dispose();
    last?.dispose();
    ta.dispose();
    tb.dispose();
    tl?.dispose();
  }

  {
    const x = randn([1, 64, 56, 56], { device: "webgpu" });
    const w = randn([64, 64, 3, 3], { device: "webgpu" });
    let last: Tensor | undefined;
    const pc = await time(
      () => {
        last?.dispose();
        last = conv2d(x, w, undefined, { padding: 1 });
      },
      () => last!.slice(0, 0, 1).slice(1, 0, 1).slice(2, 0, 1).slice(3, 0, 1).data(),
    );
    const tx = tf.randomNormal([1, 56, 56, 64]) as tf.Tensor4D;
    const tw = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
    let tl: tf.Tensor | undefined;
    const tt = await time(
      () => {
        tl?.dispose();
        tl = tf.conv2d(tx, tw, 1, "same");
      },
      () => tf.slice(tl!, [0, 0, 0, 0], [1, 1, 1, 1]).data(),
    );
    const flops = 2 * 56 * 56 * 64 * 64 * 9;
    const gf = (ms: number) => flops / (ms * 1e6);
    push({
      case: "conv2d 1x56x56x64 3x3→64",
      polychip: gf(pc.ms),
      tfjs: gf(tt.ms),
      unit: "GFLOP/s",
      pcRange: `${pc.min.toFixed(3)}–${pc.max.toFixed(3)} ms`,
      tfRange: `${tt.min.toFixed(3)}–${tt.max.toFixed(3)} ms`,
    });
  }

  if (train) {
    // The Fashion-MNIST CNN (packages/cli/src/models.ts), one SGD training step at batch 64.
    const model = new nn.Sequential(
      new nn.Conv2d(1, 32, 3, { padding: 1, device: "webgpu" }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(32, 64, 3, { padding: 1, device: "webgpu" }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(64 * 7 * 7, 128, { device: "webgpu" }),
      new nn.ReLU(),
      new nn.Linear(128, 10, { device: "webgpu" }),
    );
    const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
    const x = randn([64, 1, 28, 28], { device: "webgpu" });
    const y = tensor(
      Array.from({ length: 64 }, (_, i) => i % 10),
      { dtype: "int32", device: "webgpu" },
    );
    let loss: Tensor | undefined;
    const pc = await time(
      () => {
        loss?.dispose();
        loss = tidy(() => {
          const l = crossEntropy(model.forward(x), y);
          opt.zeroGrad();
          l.backward();
          opt.step();
          return l.detach();
        });
      },
      () => loss!.data(),
    );

    const v = (shape: number[], fanIn: number) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn)));
    const w1 = v([3, 3, 1, 32], 9),
      b1 = v([32], 9),
      w2 = v([3, 3, 32, 64], 288),
      b2 = v([64], 288);
    const w3 = v([3136, 128], 3136),
      b3 = v([128], 3136),
      w4 = v([128, 10], 128),
      b4 = v([10], 128);
    const tx = tf.randomNormal([64, 28, 28, 1]) as tf.Tensor4D;
    const ty = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 64 }, (_, i) => i % 10),
        "int32",
      ),
      10,
    );
    const sgd = tf.train.sgd(0.01);
    let tl: tf.Scalar | null = null;
    const tt = await time(
      () => {
        tl?.dispose();
        tl = sgd.minimize(() => {
          let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(tx, w1 as tf.Variable<tf.Rank.R4>, 1, "same"), b1)) as tf.Tensor4D, 2, 2, "valid");
          h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, w2 as tf.Variable<tf.Rank.R4>, 1, "same"), b2)) as tf.Tensor4D, 2, 2, "valid");
          const f = tf.relu(tf.add(tf.matMul(tf.reshape(h, [64, 3136]), w3), b3));
          const logits = tf.add(tf.matMul(f, w4), b4);
          return tf.losses.softmaxCrossEntropy(ty, logits) as tf.Scalar;
        }, true);
      },
      () => tl!.data(),
    );
    push({
      case: "CNN training step, batch 64",
      polychip: pc.ms,
      tfjs: tt.ms,
      unit: "ms/step",
      pcRange: `${pc.min.toFixed(2)}–${pc.max.toFixed(2)} ms`,
      tfRange: `${tt.min.toFixed(2)}–${tt.max.toFixed(2)} ms`,
    });
  }

  console.log(`\n| case | Polychip webgpu | tfjs-webgpu | Polychip ÷ tfjs | Polychip min–max | tfjs min–max |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const r of rows) {
    const ratio = r.unit === "ms/step" ? r.tfjs / r.polychip : r.polychip / r.tfjs;
    console.log(`| ${r.case} | ${r.polychip.toFixed(1)} ${r.unit} | ${r.tfjs.toFixed(1)} ${r.unit} | ${ratio.toFixed(2)}× | ${r.pcRange} | ${r.tfRange} |`);
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
