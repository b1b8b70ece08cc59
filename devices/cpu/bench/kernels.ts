/**
 * Quick kernel timings for the cpu device: matmul GFLOP/s at 128-1024 and the kernels of one
 * Fashion-MNIST CNN training step (batch 64), through device.launch exactly as the engine calls
 * them. Prints wall-clock medians and CPU time per call (the latter stays meaningful on a machine
 * shared with other work: it counts only cycles this process got).
 *
 *   node --import tsx bench/kernels.ts [--threads 1,2] [--wasm off] [--only matmul|cnn]
 */
import { contiguousStrides, getOp, KernelRegistry, sizeOf, type Attrs, type Shape } from "@polychip/hal";
import { CpuDevice, cpuKernels, uploadView } from "../src/index.ts";
import type { CpuView } from "../src/views.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const threadCounts = option("threads", "1,2").split(",").map(Number);
const wasm = option("wasm", "on") !== "off";
const only = option("only", "all");

const registry = new KernelRegistry();
registry.registerAll(cpuKernels);

interface Case {
  readonly op: string;
  readonly shapes: Shape[];
  readonly attrs?: Attrs;
  /** Multiply-adds, when GFLOP/s is worth printing. */
  readonly macs?: number;
}

function prepare(device: CpuDevice, c: Case) {
  const inputs: CpuView[] = c.shapes.map((shape, k) =>
    uploadView(device, { values: Float32Array.from({ length: sizeOf(shape) }, (_, i) => Math.sin(i * 0.37 + k)), shape }),
  );
  const metas = getOp(c.op).infer(inputs, c.attrs ?? {});
  const outputs: CpuView[] = metas.map((m) => ({
    buffer: device.alloc(sizeOf(m.shape) * 4),
    dtype: m.dtype,
    shape: m.shape,
    strides: contiguousStrides(m.shape),
    offset: 0,
  }));
  const kernel = registry.find("cpu", c.op, "float32")!.kernel;
  return () => device.launch(kernel, { op: c.op, inputs, outputs, attrs: c.attrs ?? {} });
}

function measure(run: () => void, minMs = 150): { wall: number; cpu: number; cpuMin: number } {
  run();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    if (performance.now() - t0 > minMs / 5 || reps > 1e5) break;
    reps *= 2;
  }
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < 7; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    walls.push((performance.now() - t0) / reps);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000 / reps);
  }
  walls.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  return { wall: walls[3]!, cpu: cpus[3]!, cpuMin: cpus[0]! };
}

const matmulCases: Case[] = [128, 256, 512, 1024].map((n) => ({
  op: "matmul",
  shapes: [
    [n, n],
    [n, n],
  ],
  macs: n ** 3,
}));
const pad1 = { pads: [1, 1, 1, 1] };
const cnnCases: Case[] = [
  { op: "conv2d", shapes: [[64, 1, 28, 28], [32, 1, 3, 3], [32]], attrs: pad1, macs: 64 * 32 * 784 * 9 },
  { op: "relu", shapes: [[64, 32, 28, 28]] },
  { op: "maxPool2d", shapes: [[64, 32, 28, 28]], attrs: { kernel: [2, 2], strides: [2, 2] } },
  { op: "conv2d", shapes: [[64, 32, 14, 14], [64, 32, 3, 3], [64]], attrs: pad1, macs: 64 * 64 * 196 * 288 },
  { op: "maxPool2d", shapes: [[64, 64, 14, 14]], attrs: { kernel: [2, 2], strides: [2, 2] } },
  {
    op: "matmul",
    shapes: [
      [64, 3136],
      [128, 3136],
    ],
    attrs: { transposeB: true },
    macs: 64 * 3136 * 128,
  },
  {
    op: "matmul",
    shapes: [
      [64, 128],
      [128, 3136],
    ],
    macs: 64 * 3136 * 128,
  },
  {
    op: "matmul",
    shapes: [
      [64, 128],
      [64, 3136],
    ],
    attrs: { transposeA: true },
    macs: 64 * 3136 * 128,
  },
  {
    op: "maxPool2dGrad",
    shapes: [
      [64, 64, 14, 14],
      [64, 64, 7, 7],
    ],
    attrs: { kernel: [2, 2], strides: [2, 2] },
  },
  {
    op: "conv2dGradInput",
    shapes: [
      [64, 64, 14, 14],
      [64, 32, 3, 3],
    ],
    attrs: { ...pad1, inputShape: [64, 32, 14, 14] },
    macs: 64 * 64 * 196 * 288,
  },
  {
    op: "conv2dGradWeight",
    shapes: [
      [64, 32, 14, 14],
      [64, 64, 14, 14],
    ],
    attrs: { ...pad1, weightShape: [64, 32, 3, 3] },
    macs: 64 * 64 * 196 * 288,
  },
  {
    op: "maxPool2dGrad",
    shapes: [
      [64, 32, 28, 28],
      [64, 32, 14, 14],
    ],
    attrs: { kernel: [2, 2], strides: [2, 2] },
  },
  {
    op: "conv2dGradWeight",
    shapes: [
      [64, 1, 28, 28],
      [64, 32, 28, 28],
    ],
    attrs: { ...pad1, weightShape: [32, 1, 3, 3] },
    macs: 64 * 32 * 784 * 9,
  },
  {
    op: "mul",
    shapes: [
      [64, 32, 28, 28],
      [64, 32, 28, 28],
    ],
  },
  { op: "greater", shapes: [[64, 32, 28, 28], []] },
  { op: "mul", shapes: [[128, 3136], []] },
  { op: "reduceSum", shapes: [[64, 32, 28, 28]], attrs: { axes: [0, 2, 3] } },
];

const cases = only === "matmul" ? matmulCases : only === "cnn" ? cnnCases : [...matmulCases, ...cnnCases];
for (const threads of threadCounts) {
  const device = new CpuDevice({ threads, wasm });
  await new Promise((r) => setTimeout(r, 200)); // workers instantiate the module
  console.log(`\n${JSON.stringify(device.info.details)}`);
  let total = 0;
  for (const c of cases) {
    const { wall, cpu, cpuMin } = measure(prepare(device, c));
    if (cnnCases.includes(c)) total += wall;
    const rate = c.macs ? `  ${((2 * c.macs) / wall / 1e6).toFixed(1).padStart(6)} GFLOP/s (${((2 * c.macs) / cpuMin / 1e6).toFixed(1)} per cpu-s)` : "";
    const label = `${c.op}${c.attrs?.transposeA ? "ᵀ·" : c.attrs?.transposeB ? "·ᵀ" : ""} ${c.shapes.map((s) => `[${s.join(",")}]`).join(" ")}`;
    console.log(`${label.padEnd(52)} wall ${wall.toFixed(3).padStart(8)} ms  cpu ${cpu.toFixed(3).padStart(8)} (min ${cpuMin.toFixed(3)}) ms${rate}`);
  }
  if (only !== "matmul") console.log(`sum of the CNN-step kernels listed (wall): ${total.toFixed(1)} ms`);
  await device.dispose();
}
