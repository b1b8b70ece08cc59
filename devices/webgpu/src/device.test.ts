import assert from "node:assert/strict";
import { test } from "node:test";
import { contiguousStrides, DeviceError, OutOfMemoryError, ShapeError, type ProfileEvent, type TensorView } from "@polychip/hal";
import { WebGpuDevice } from "./device.ts";
import type { WebGpuBuffer } from "./runtime/buffer.ts";
import { decode, download, encode, gpuDevice, kernelFor, uploadView, values } from "./testing/harness.ts";

function output(device: WebGpuDevice, shape: number[], dtype: TensorView["dtype"] = "float32"): TensorView<WebGpuBuffer> {
  const n = shape.reduce((a, b) => a * b, 1);
  const bytes = dtype === "float32" || dtype === "int32" ? 4 : dtype === "float16" ? 2 : 1;
  return { buffer: device.alloc(n * bytes), dtype, shape, strides: contiguousStrides(shape), offset: 0 };
}

function add(device: WebGpuDevice, a: TensorView<WebGpuBuffer>, b: TensorView<WebGpuBuffer>, y: TensorView<WebGpuBuffer>): void {
  device.launch(kernelFor("add", a.dtype), { op: "add", inputs: [a, b], outputs: [y], attrs: {} });
}

test("capabilities come from the adapter's limits and features", async () => {
  const device = await gpuDevice();
  const { limits, dtypes, features } = device.capabilities;
  assert.equal(limits.maxBufferBytes, device.gpu.limits.maxBufferSize);
  assert.equal(limits.maxBindingBytes, device.gpu.limits.maxStorageBufferBindingSize);
  assert.equal(limits.maxWorkgroupSize, device.gpu.limits.maxComputeInvocationsPerWorkgroup);
  assert.equal(limits.maxWorkgroupsPerDimension, device.gpu.limits.maxComputeWorkgroupsPerDimension);
  assert.deepEqual([...dtypes].sort(), ["bool", "float16", "float32", "int32", "int8", "uint8"]);
  assert.equal(features.includes("timestamps"), device.gpu.features.has("timestamp-query"));
  assert.equal(features.includes("f16"), device.gpu.features.has("shader-f16"));
  assert.ok(!features.includes("strided-inputs"), "only the elementwise family takes strided views");
  assert.equal(device.info.name, "webgpu");
  assert.equal(device.info.kind, "gpu");
});

test("writes and reads at unaligned byte offsets keep the neighbouring bytes", async () => {
  const device = await gpuDevice();
  const buffer = device.alloc(11);
  device.write(buffer, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
  device.write(buffer, new Uint8Array([70, 80, 90]), 6);
  device.write(buffer, new Uint8Array([20]), 1);
  assert.deepEqual([...(await device.read(buffer, 0, 11))], [1, 20, 3, 4, 5, 6, 70, 80, 90, 10, 11]);
  assert.deepEqual([...(await device.read(buffer, 5, 3))], [6, 70, 80]);
  device.free(buffer);
});

test("a write queued after kernels that read the old contents does not overtake them", async () => {
  const device = await gpuDevice();
  const a = uploadView(device, { values: [1, 2, 3], shape: [3] });
  const y = output(device, [3]);
  add(device, a, a, y); // recorded, not yet submitted
  device.write(a.buffer, encode([100, 200, 300], "float32"));
  assert.deepEqual([...(await download(device, y.buffer, "float32", 3))], [2, 4, 6]);
  assert.deepEqual([...(await download(device, a.buffer, "float32", 3))], [100, 200, 300]);
});

test("reads and writes outside a buffer, or of a freed one, are DeviceErrors", async () => {
  const device = await gpuDevice();
  const buffer = device.alloc(8);
  assert.throws(() => device.write(buffer, new Uint8Array(12)), DeviceError);
  await assert.rejects(device.read(buffer, 4, 8), DeviceError);
  device.free(buffer);
  await assert.rejects(device.read(buffer, 0, 4), /freed/);
});

test("a buffer freed past the pool's idle limit while recorded work reads it is destroyed only after that work is submitted", async () => {
  const device = await WebGpuDevice.create({ poolBytes: 0 }); // every release goes past the limit
  const a = uploadView(device, { values: [1, 2, 3], shape: [3] });
  const y = output(device, [3]);
  add(device, a, a, y); // recorded, not yet submitted
  device.free(a.buffer);
  assert.deepEqual([...(await download(device, y.buffer, "float32", 3))], [2, 4, 6]);
  device.dispose();
});

test("freed buffers are reused by size class", async () => {
  const device = await gpuDevice();
  const before = { ...device.poolStats.storage };
  const first = device.alloc(1000);
  device.free(first);
  const second = device.alloc(990); // same size class as 1000
  assert.equal(second.gpu, first.gpu);
  assert.equal(device.poolStats.storage.reused, before.reused + 1);
  device.free(second);
});

test("the pipeline cache compiles a kernel once per dtype and shape class, not per shape", async () => {
  const device = await gpuDevice();
  const run = async (n: number) => {
    const a = uploadView(device, { values: values(n), shape: [n] });
    const y = output(device, [n]);
    add(device, a, a, y);
    await device.sync();
  };
  await run(5);
  const compiled = device.pipelines.size;
  const hits = device.pipelines.stats.hits;
  await run(17);
  await run(1000);
  assert.equal(device.pipelines.size, compiled);
  assert.equal(device.pipelines.stats.hits, hits + 2);
});

test("many launches are recorded into one submit", async () => {
  const device = await WebGpuDevice.create({ batchSize: 64 });
  const a = uploadView(device, { values: [1, 2, 3, 4], shape: [4] });
  let x = a;
  const submits = device.stats.submits;
  for (let i = 0; i < 40; i++) {
    const y = output(device, [4]);
    add(device, x, a, y);
    x = y;
  }
  assert.equal(device.stats.submits, submits, "nothing is submitted before a read");
  assert.deepEqual([...(await download(device, x.buffer, "float32", 4))], [41, 82, 123, 164]);
  assert.equal(device.stats.submits, submits + 1);
  device.dispose();
});

test("a full batch is submitted without waiting for a read", async () => {
  const device = await WebGpuDevice.create({ batchSize: 8 });
  const a = uploadView(device, { values: [1], shape: [1] });
  const submits = device.stats.submits;
  for (let i = 0; i < 20; i++) add(device, a, a, output(device, [1]));
  assert.equal(device.stats.submits, submits + 2);
  await device.sync();
  device.dispose();
});

test("a 1-D launch over the per-dimension workgroup limit is spread over x and y", async () => {
  const device = await WebGpuDevice.create({ limits: { maxWorkgroupsPerDimension: 3 } });
  const n = 64 * 8 + 5; // 9 workgroups of 64: a 3 x 3 grid
  const xs = values(n, -1, 1, 3);
  const a = uploadView(device, { values: xs, shape: [n] });
  const y = output(device, [n]);
  add(device, a, a, y);
  const got = await download(device, y.buffer, "float32", n);
  assert.deepEqual(
    [...got],
    xs.map((v) => Math.fround(Math.fround(v) * 2)),
  );
  device.dispose();
});

test("a grid that cannot fit the workgroup limit is a ShapeError naming the op", async () => {
  const device = await WebGpuDevice.create({ limits: { maxWorkgroupsPerDimension: 2 } });
  const a = uploadView(device, { values: values(200 * 2), shape: [2, 200] });
  const b = uploadView(device, { values: values(200 * 2), shape: [200, 2] });
  const y = output(device, [200, 200]);
  assert.throws(
    () => device.launch(kernelFor("matmul", "float32"), { op: "matmul", inputs: [b, a], outputs: [y], attrs: {} }),
    (err: unknown) => err instanceof ShapeError && /matmul/.test(err.message) && /maxComputeWorkgroupsPerDimension/.test(err.message),
  );
  device.dispose();
});

test("a buffer over the binding limit is refused with an OutOfMemoryError naming op and sizes", async () => {
  const device = await WebGpuDevice.create({ limits: { maxBindingBytes: 256 } });
  const a = uploadView(device, { values: values(100), shape: [100] });
  const y = output(device, [100]);
  assert.throws(
    () => add(device, a, a, y),
    (err: unknown) => err instanceof OutOfMemoryError && /add/.test(err.message) && /400 bytes/.test(err.message) && /256/.test(err.message),
  );
  device.dispose();
});

test("an allocation over maxBufferSize is an OutOfMemoryError", async () => {
  const device = await gpuDevice();
  assert.throws(() => device.alloc(device.capabilities.limits.maxBufferBytes + 4), OutOfMemoryError);
});

test("after the GPU device is lost every call throws a DeviceError saying why", async () => {
  const device = await WebGpuDevice.create();
  const buffer = device.alloc(16);
  device.gpu.destroy();
  await device.gpu.lost;
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.throws(
    () => device.alloc(4),
    (err: unknown) => err instanceof DeviceError && /lost/.test(err.message) && /destroyed/.test(err.message),
  );
  assert.throws(() => device.write(buffer, new Uint8Array(4)), DeviceError);
  await assert.rejects(device.read(buffer, 0, 4), DeviceError);
  await assert.rejects(device.sync(), DeviceError);
});

test("dispose makes the device unusable at once; freeing afterwards is harmless", async () => {
  const device = await WebGpuDevice.create();
  const buffer = device.alloc(4);
  device.dispose();
  assert.throws(() => device.alloc(4), /disposed/);
  assert.doesNotThrow(() => device.free(buffer));
});

test("kernels report to the event sink with timestamp queries when the adapter has them", async () => {
  const device = await WebGpuDevice.create();
  const events: ProfileEvent[] = [];
  device.setEventSink((e) => events.push(e));
  const a = uploadView(device, { values: values(64), shape: [64] });
  for (let i = 0; i < 3; i++) add(device, a, a, output(device, [64]));
  await device.sync();
  const kernels = events.filter((e) => e.category === "kernel");
  assert.equal(kernels.length, 3);
  assert.ok(kernels.every((e) => e.name === "add" && e.duration >= 0 && e.device === "webgpu"));
  assert.equal(kernels[0]!.args?.shapes, "float32[64], float32[64] -> float32[64]");
  assert.equal(kernels[0]!.args?.clock, device.gpu.features.has("timestamp-query") ? "gpu" : "wall");
  assert.ok(events.some((e) => e.category === "transfer"));
  device.dispose();
});

test("without timestamp queries each kernel is timed by the wall clock around its own submit", async () => {
  const device = await WebGpuDevice.create({ timestamps: false });
  const events: ProfileEvent[] = [];
  device.setEventSink((e) => events.push(e));
  const a = uploadView(device, { values: values(64), shape: [64] });
  const submits = device.stats.submits;
  for (let i = 0; i < 3; i++) add(device, a, a, output(device, [64]));
  await device.sync();
  const kernels = events.filter((e) => e.category === "kernel");
  assert.equal(kernels.length, 3);
  assert.ok(kernels.every((e) => e.args?.clock === "wall"));
  assert.ok(device.stats.submits >= submits + 3);
  device.dispose();
});

test("a copy from a buffer into a region of itself reads the old contents", async () => {
  const device = await gpuDevice();
  const x = uploadView(device, { values: [1, 2, 3, 4, 5, 6], shape: [6] });
  const src: TensorView<WebGpuBuffer> = { ...x, shape: [5], strides: [1], offset: 0 };
  const dst: TensorView<WebGpuBuffer> = { ...x, shape: [5], strides: [1], offset: 1 };
  device.launch(kernelFor("copy", "float32"), { op: "copy", inputs: [src], outputs: [dst], attrs: {} });
  assert.deepEqual([...(await download(device, x.buffer, "float32", 6))], [1, 1, 2, 3, 4, 5]);
});

test("a kernel launched on another device is a clear KernelError", async () => {
  const fake = { info: { name: "cpu" } } as never;
  const kernel = kernelFor("add", "float32");
  assert.throws(() => kernel({ op: "add", inputs: [], outputs: [], attrs: {} }, fake), /not a WebGPU device/);
});

test("decode round-trips every dtype through the device", async () => {
  const device = await gpuDevice();
  for (const [dtype, xs] of [
    ["float16", [1.5, -2, 0.0999755859375]],
    ["int8", [-128, 5, 127]],
    ["bool", [1, 0, 1]],
  ] as const) {
    const v = uploadView(device, { values: xs, shape: [3], dtype });
    const bytes = await device.read(v.buffer, 0, v.buffer.bytes);
    assert.deepEqual([...decode(bytes, dtype, 3)], xs);
  }
});
