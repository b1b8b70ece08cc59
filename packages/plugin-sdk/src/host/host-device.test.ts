import assert from "node:assert/strict";
import { test } from "node:test";
import { DeviceError, KernelError, OutOfMemoryError, ShapeError, type ProfileEvent } from "@polychip/hal";
import { HostDevice } from "./host-device.ts";

const device = (total = 1024) =>
  new HostDevice(
    { name: "dev", vendor: "test", kind: "npu", halVersion: "1.0.0" },
    { dtypes: ["float32"], limits: { maxBufferBytes: 512, totalMemoryBytes: total }, features: [] },
    { memoryName: "HBM" },
  );

const view = (buffer: ReturnType<HostDevice["alloc"]>) => ({ buffer, dtype: "float32" as const, shape: [2], strides: [1], offset: 0 });

test("alloc and free keep the memory count", () => {
  const d = device();
  const a = d.alloc(100);
  const b = d.alloc(200);
  assert.equal(d.bytesInUse, 300);
  d.free(a);
  d.free(a); // a second free is ignored
  assert.equal(d.bytesInUse, 200);
  assert.equal(d.bytesFree, 1024 - 200);
  d.free(b);
});

test("running out of memory names the requested and the free bytes", () => {
  const d = device();
  d.alloc(500);
  d.alloc(500);
  assert.throws(
    () => d.alloc(100),
    (err: unknown) => err instanceof OutOfMemoryError && err.message === "dev: cannot allocate 100 bytes of HBM: 24 bytes free of 1024",
  );
});

test("a buffer larger than the largest allowed is refused", () => {
  assert.throws(
    () => device(4096).alloc(600),
    (err: unknown) => err instanceof OutOfMemoryError && /largest buffer is 512 bytes/.test((err as Error).message),
  );
});

test("writes and reads outside a buffer are refused", async () => {
  const d = device();
  const b = d.alloc(8);
  assert.throws(() => d.write(b, new Uint8Array(4), 6), DeviceError);
  await assert.rejects(d.read(b, 4, 8), DeviceError);
});

test("bytes written come back on read", async () => {
  const d = device();
  const b = d.alloc(8);
  d.write(b, new Uint8Array([1, 2, 3]), 2);
  assert.deepEqual([...(await d.read(b, 0, 6))], [0, 0, 1, 2, 3, 0]);
});

test("a kernel's plain Error becomes a KernelError naming device, op, shapes and dtypes", () => {
  const d = device();
  const v = view(d.alloc(8));
  assert.throws(
    () =>
      d.launch(
        () => {
          throw new TypeError("boom");
        },
        { op: "relu", inputs: [v], outputs: [v], attrs: {} },
      ),
    (err: unknown) => err instanceof KernelError && err.message === "dev: kernel relu(float32[2]) -> float32[2] failed: boom",
  );
});

test("a kernel's Polychip error passes through unchanged", () => {
  const d = device();
  const v = view(d.alloc(8));
  assert.throws(
    () =>
      d.launch(
        () => {
          throw new ShapeError("relu: bad");
        },
        { op: "relu", inputs: [v], outputs: [v], attrs: {} },
      ),
    ShapeError,
  );
});

test("every launch emits a kernel event while a sink is set", () => {
  const d = device();
  const v = view(d.alloc(8));
  const events: ProfileEvent[] = [];
  d.setEventSink((e) => events.push(e));
  d.launch(() => {}, { op: "relu", inputs: [v], outputs: [v], attrs: {} });
  assert.equal(events.length, 1);
  assert.equal(events[0]!.category, "kernel");
  assert.equal(events[0]!.name, "relu");
  assert.equal(events[0]!.args?.shapes, "float32[2] -> float32[2]");
});

test("a disposed device refuses work", () => {
  const d = device();
  d.dispose();
  assert.throws(() => d.alloc(4), DeviceError);
});
