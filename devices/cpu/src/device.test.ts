import assert from "node:assert/strict";
import { test } from "node:test";
import { DeviceError, DTYPES, HAL_VERSION, KernelError, OutOfMemoryError, ShapeError, type ProfileEvent } from "@polychip/hal";
import { availableParallelism } from "node:os";
import { CpuDevice, cpuKernels, cpuPlugin, referenceKernels } from "./index.ts";
import { uploadView } from "./testing.ts";

test("info and capabilities describe a cpu speaking every dtype with strided inputs", () => {
  const d = new CpuDevice({ wasm: false });
  assert.deepEqual(d.info, { name: "cpu", vendor: "Polychip", kind: "cpu", halVersion: HAL_VERSION, details: { threads: 1, wasm: false } });
  assert.deepEqual([...d.capabilities.dtypes], [...DTYPES]);
  assert.equal(d.capabilities.limits.maxBufferBytes, 2 ** 31 - 1);
  assert.equal(d.capabilities.limits.totalMemoryBytes, Infinity);
  assert.deepEqual([...d.capabilities.features], ["strided-inputs"]);
});

test("by default the device runs the WASM kernels on one thread per core", async () => {
  const d = new CpuDevice();
  assert.equal(d.info.details?.wasm, true, "the WASM kernels did not build on this host");
  assert.equal(d.info.details?.threads, availableParallelism());
  assert.equal(typeof d.info.details?.fma, "boolean");
  await d.dispose();
});

test("threads and wasm are options, and threads must be a positive integer", async () => {
  const d = new CpuDevice({ threads: 2 });
  assert.equal(d.info.details?.threads, 2);
  assert.equal(new CpuDevice({ threads: 1 }).info.details?.threads, 1);
  assert.equal(new CpuDevice({ threads: 4, wasm: false }).info.details?.threads, 1);
  assert.throws(() => new CpuDevice({ threads: 0 }), DeviceError);
  assert.throws(() => new CpuDevice({ threads: 1.5 }), DeviceError);
  await d.dispose();
});

test("buffers live in the WASM memory, and a reused block reads as zeros", async () => {
  const d = new CpuDevice({ threads: 1 });
  const a = d.alloc(64);
  assert.notEqual(a.wasmOffset, undefined);
  assert.ok(a.data instanceof SharedArrayBuffer);
  d.write(a, new Uint8Array(64).fill(7));
  d.free(a);
  const b = d.alloc(64);
  assert.equal(b.wasmOffset, a.wasmOffset);
  assert.deepEqual([...d.readSync(b, 0, 64)], new Array(64).fill(0));
  d.write(b, new Uint8Array([1, 2]), 10);
  assert.deepEqual([...d.readSync(b, 8, 6)], [0, 0, 1, 2, 0, 0]);
  await d.dispose();
});

test("with wasm off, buffers are ArrayBuffers of their own", () => {
  const b = new CpuDevice({ wasm: false }).alloc(16);
  assert.equal(b.wasmOffset, undefined);
  assert.ok(b.data instanceof ArrayBuffer);
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
  assert.throws(
    () => d.alloc(101),
    (e: unknown) => e instanceof OutOfMemoryError && /101 bytes/.test(e.message) && /100 bytes/.test(e.message),
  );
});

test("alloc over totalMemoryBytes throws OutOfMemoryError until memory is freed", () => {
  const d = new CpuDevice({ totalMemoryBytes: 64 });
  const a = d.alloc(40);
  assert.throws(
    () => d.alloc(30),
    (e: unknown) => e instanceof OutOfMemoryError && /30 bytes/.test(e.message) && /64/.test(e.message),
  );
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
  assert.throws(
    () =>
      d.launch(
        () => {
          throw new ShapeError("bad");
        },
        { op: "x", inputs: [], outputs: [], attrs: {} },
      ),
    ShapeError,
  );
  assert.throws(
    () =>
      d.launch(
        () => {
          throw new TypeError("boom");
        },
        { op: "myOp", inputs: [], outputs: [], attrs: {} },
      ),
    (e: unknown) => e instanceof KernelError && /myOp/.test(e.message) && /boom/.test(e.message) && e.cause instanceof TypeError,
  );
});

test("sync resolves and a disposed device refuses work", async () => {
  const d = new CpuDevice();
  await d.sync();
  await d.dispose();
  assert.throws(() => d.alloc(4), DeviceError);
});

test("cpuPlugin creates devices with options and carries the kernel list", async () => {
  assert.equal(cpuPlugin.name, "cpu");
  assert.equal(cpuPlugin.halVersion, HAL_VERSION);
  assert.equal(cpuPlugin.kernels, cpuKernels);
  const d = (await cpuPlugin.create({ totalMemoryBytes: 8 })) as CpuDevice;
  assert.throws(() => d.alloc(9), OutOfMemoryError);
  const one = (await cpuPlugin.create({ threads: 1, wasm: true })) as CpuDevice;
  assert.deepEqual([one.info.details?.threads, one.info.details?.wasm], [1, true]);
});

test("the registration list puts a WASM kernel after the reference one for the ops it speeds up", () => {
  const matmuls = cpuKernels.filter((k) => k.op === "matmul");
  assert.equal(matmuls.length, 3);
  assert.equal(
    matmuls[0],
    referenceKernels.find((k) => k.op === "matmul"),
  );
  assert.deepEqual(matmuls[1]!.dtypes, ["float32"]);
  // float16 runs the same WASM kernel through float32 copies (fast/half.ts).
  assert.deepEqual(matmuls[2]!.dtypes, ["float16"]);
});
