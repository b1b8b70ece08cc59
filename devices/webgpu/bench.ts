/**
 * Throughput of the hot kernels on whatever adapter is found (run it on a real GPU: SwiftShader
 * manages ~0.2 GFLOP/s). `node --import tsx bench.ts [quick]`. Each case is warmed up, then timed
 * over several launches by wall clock around sync, and by GPU timestamps where the adapter has them.
 */
import { contiguousStrides, getOp, KernelRegistry, sizeOf, type Attrs, type DType, type ProfileEvent, type TensorView } from "@polychip/hal";
import { WebGpuDevice } from "./src/device.ts";
import { webgpuKernels } from "./src/kernels/index.ts";
import type { WebGpuBuffer } from "./src/runtime/buffer.ts";

interface Case {
  readonly name: string;
  readonly op: string;
  readonly shapes: number[][];
  readonly attrs?: Attrs;
  /** Work per launch: FLOPs for compute-bound ops, bytes moved for memory-bound ones. */
  readonly work: number;
  readonly unit: "GFLOP/s" | "GB/s";
}

const quick = process.argv.includes("quick");
const conv = (n: number, c: number, h: number, oc: number, k: number) => ({
  name: `conv2d ${n}x${c}x${h}x${h} * ${oc}x${c}x${k}x${k}`,
  op: "conv2d",
  shapes: [
    [n, c, h, h],
    [oc, c, k, k],
  ],
  attrs: { pads: [k >> 1, k >> 1, k >> 1, k >> 1] },
  work: 2 * n * oc * h * h * c * k * k,
  unit: "GFLOP/s" as const,
});
const CASES: Case[] = quick
  ? [
      {
        name: "matmul 256",
        op: "matmul",
        shapes: [
          [256, 256],
          [256, 256],
        ],
        work: 2 * 256 ** 3,
        unit: "GFLOP/s",
      },
    ]
  : [
      ...[1024, 2048, 4096].map((n) => ({
        name: `matmul ${n}`,
        op: "matmul",
        shapes: [
          [n, n],
          [n, n],
        ],
        work: 2 * n ** 3,
        unit: "GFLOP/s" as const,
      })),
      {
        name: "matmul 4096 transposeB",
        op: "matmul",
        shapes: [
          [4096, 4096],
          [4096, 4096],
        ],
        attrs: { transposeB: true },
        work: 2 * 4096 ** 3,
        unit: "GFLOP/s",
      },
      {
        name: "batched matmul 64x(256x64 @ 64x256)",
        op: "matmul",
        shapes: [
          [64, 256, 64],
          [64, 64, 256],
        ],
        work: 2 * 64 * 256 * 64 * 256,
        unit: "GFLOP/s",
      },
      conv(1, 64, 56, 64, 3),
      conv(32, 64, 56, 64, 3),
      conv(32, 256, 14, 256, 3),
      { name: "add 16M float32", op: "add", shapes: [[1 << 24], [1 << 24]], work: 3 * 4 * (1 << 24), unit: "GB/s" },
      { name: "add broadcast [4096,4096]+[4096]", op: "add", shapes: [[4096, 4096], [4096]], work: 2 * 4 * 4096 * 4096, unit: "GB/s" },
      { name: "softmax [8192, 1024]", op: "softmax", shapes: [[8192, 1024]], work: 2 * 4 * 8192 * 1024, unit: "GB/s" },
      { name: "reduceSum [4096, 4096] axis 1", op: "reduceSum", shapes: [[4096, 4096]], attrs: { axes: [1] }, work: 4 * 4096 * 4096, unit: "GB/s" },
      { name: "layerNorm [8192, 1024]", op: "layerNorm", shapes: [[8192, 1024]], work: 2 * 4 * 8192 * 1024, unit: "GB/s" },
    ];

const device = await WebGpuDevice.create();
const registry = new KernelRegistry();
registry.registerAll(webgpuKernels);
console.log(`adapter: ${JSON.stringify(device.info.details)}`);

function view(shape: number[], dtype: DType = "float32"): TensorView<WebGpuBuffer> {
  const n = sizeOf(shape);
  const buffer = device.alloc(n * 4);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  device.write(buffer, new Uint8Array(data.buffer));
  return { buffer, dtype, shape, strides: contiguousStrides(shape), offset: 0 };
}

for (const c of CASES) {
  const inputs = c.shapes.map((s) => view(s));
  const attrs = c.attrs ?? {};
  const [meta] = getOp(c.op).infer(inputs, attrs);
  const out: TensorView<WebGpuBuffer> = {
    buffer: device.alloc(sizeOf(meta!.shape) * 4),
    dtype: meta!.dtype,
    shape: meta!.shape,
    strides: contiguousStrides(meta!.shape),
    offset: 0,
  };
  const kernel = registry.find("webgpu", c.op, "float32")!.kernel;
  const call = { op: c.op, inputs, outputs: [out], attrs };
  for (let i = 0; i < 3; i++) device.launch(kernel, call);
  await device.sync();
  const reps = quick ? 3 : 10;
  const events: ProfileEvent[] = [];
  device.setEventSink((e) => e.category === "kernel" && events.push(e));
  const start = performance.now();
  for (let i = 0; i < reps; i++) device.launch(kernel, call);
  await device.sync();
  const wall = (performance.now() - start) / reps;
  device.setEventSink(undefined);
  const gpuMs = events.reduce((a, e) => a + e.duration, 0) / reps;
  const rate = (ms: number) => (c.work / (ms / 1000) / 1e9).toFixed(1);
  console.log(`${c.name.padEnd(44)} wall ${wall.toFixed(3)} ms (${rate(wall)} ${c.unit})   gpu ${gpuMs.toFixed(3)} ms (${rate(gpuMs)} ${c.unit})`);
  for (const v of [...inputs, out]) device.free(v.buffer);
}
device.dispose();
