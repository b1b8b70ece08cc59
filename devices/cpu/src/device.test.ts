import assert from "node:assert/strict";
import { test } from "node:test";
import { DeviceError, DTYPES, HAL_VERSION, KernelError, OutOfMemoryError, ShapeError, type ProfileEvent } from "@polychip/hal";
import { CpuDevice, cpuKernels, cpuPlugin } from "./index.ts";
import { uploadView } from "./testing.ts";

test("info and capabilities describe a single-threaded cpu speaking every dtype with strided inputs", () => {
  const d = new CpuDevice();
  assert.deepEqual(d.info, { name: "cpu", vendor: "Polychip", kind: "cpu", halVersion: HAL_VERSION, details: { threads: 1 } });
  assert.deepEqual([...d.capabilities.dtypes], [...DTYPES]);
  assert.equal(d.capabilities.limits.maxBufferBytes, 2 ** 31 - 1);
  assert.equal(d.capabilities.limits.totalMemoryBytes, Infinity);
  assert.deepEqual([...d.capabilities.features], ["strided-inputs"]);
});

test("alloc tracks bytes in use and free returns them (a second free is ignored)", () => {
  const d = new CpuDevice();
  const a = d.alloc(10);
  const b = d.alloc(6);
  assert.equal(a.bytes, 10);
  assert.equal(a.device, "cpu");
  assert.equal(d.bytesInUse, 16);
  d.free(a);
  d.free(a);
  assert.equal(d.bytesInUse, 6);
  d.free(b);
  assert.equal(d.bytesInUse, 0);
});

test("alloc over maxBufferBytes throws OutOfMemoryError naming the request and the limit", () => {
  const d = new CpuDevice({ maxBufferBytes: 100 });
  assert.throws(() => d.alloc(101), (e: unknown) => e instanceof OutOfMemoryError && /101 bytes/.test(e.message) && /100 bytes/.test(e.message));
});

test("alloc over totalMemoryBytes throws OutOfMemoryError until memory is freed", () => {
  const d = new CpuDevice({ totalMemoryBytes: 64 });
  const a = d.alloc(40);
  assert.throws(() => d.alloc(30), (e: unknown) => e instanceof OutOfMemoryError && /30 bytes/.test(e.message) && /64/.test(e.message));
  d.free(a);
  assert.equal(d.alloc(30).bytes, 30);
});

test("write copies the bytes at an offset and read/readSync return copies", async () => {
  const d = new CpuDevice();
  const buf = d.alloc(6);
  const src = new Uint8Array([1, 2, 3]);
  d.write(buf, src, 2);
  src[0] = 99;
  assert.deepEqual([...d.readSync(buf, 0, 6)], [0, 0, 1, 2, 3, 0]);
  const back = await d.read(buf, 2, 3);
  back[0] = 42;
  assert.deepEqual([...(await d.read(buf, 2, 3))], [1, 2, 3]);
});

test("reads and writes outside the buffer throw DeviceError", async () => {
  const d = new CpuDevice();
  const buf = d.alloc(4);
  assert.throws(() => d.write(buf, new Uint8Array(3), 2), DeviceError);
  await assert.rejects(d.read(buf, 3, 2), DeviceError);
});

test("launch runs the kernel at once and reports a kernel event to the sink", () => {
  const d = new CpuDevice();
  const events: ProfileEvent[] = [];
  d.setEventSink((e) => events.push(e));
  const x = uploadView(d, { values: [-1, 2], shape: [2] });
  const y = uploadView(d, { values: [0, 0], shape: [2] });
  const relu = cpuKernels.find((k) => k.op === "relu")!;
  d.launch(relu.kernel, { op: "relu", inputs: [x], outputs: [y], attrs: {} });
  assert.deepEqual([...new Float32Array(d.readSync(y.buffer, 0, 8).buffer)], [0, 2]);
  assert.equal(events.length, 1);
  const e = events[0]!;
  assert.equal(e.device, "cpu");
  assert.equal(e.name, "relu");
  assert.equal(e.category, "kernel");
  assert.ok(e.duration >= 0 && e.start > 0);
  assert.deepEqual(e.args, { shapes: "float32[2] -> float32[2]", dtype: "float32" });
});

test("launch passes HAL errors through and wraps other failures in a KernelError naming the op", () => {
  const d = new CpuDevice();
  assert.throws(() => d.launch(() => { throw new ShapeError("bad"); }, { op: "x", inputs: [], outputs: [], attrs: {} }), ShapeError);
  assert.throws(
    () => d.launch(() => { throw new TypeError("boom"); }, { op: "myOp", inputs: [], outputs: [], attrs: {} }),
    (e: unknown) => e instanceof KernelError && /myOp/.test(e.message) && /boom/.test(e.message) && e.cause instanceof TypeError,
  );
});

test("sync resolves and a disposed device refuses work", async () => {
  const d = new CpuDevice();
  await d.sync();
  d.dispose();
  assert.throws(() => d.alloc(4), DeviceError);
});

test("cpuPlugin creates devices with options and carries the kernel list", async () => {
  assert.equal(cpuPlugin.name, "cpu");
  assert.equal(cpuPlugin.halVersion, HAL_VERSION);
  assert.equal(cpuPlugin.kernels, cpuKernels);
  const d = (await cpuPlugin.create({ totalMemoryBytes: 8 })) as CpuDevice;
  assert.throws(() => d.alloc(9), OutOfMemoryError);
});
