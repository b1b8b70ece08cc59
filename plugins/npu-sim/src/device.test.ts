import assert from "node:assert/strict";
import { test } from "node:test";
import { DeviceError, KernelError, OutOfMemoryError, type ProfileEvent } from "@polychip/hal";
import { HostDevice } from "@polychip/plugin-sdk";
import { chip, kernelFor, ramp, runNpu, tensor } from "./test-support.ts";

const small = { cores: 2, neuronRamKiB: 64, weightRamKiB: 64, dramMiB: 1 };

test("alloc beyond the DRAM capacity throws OutOfMemoryError naming the requested and free bytes", () => {
  const npu = chip(small);
  assert.throws(
    () => npu.alloc(2 * 1024 * 1024),
    (err: unknown) => err instanceof OutOfMemoryError && /2097152 bytes of DRAM: 1048576 bytes free of 1048576/.test((err as Error).message),
  );
});

test("the free bytes in the message account for what is already allocated", () => {
  const npu = chip(small);
  npu.alloc(600_000);
  assert.throws(
    () => npu.alloc(600_000),
    (err: unknown) => err instanceof OutOfMemoryError && /600000 bytes of DRAM: 448576 bytes free/.test((err as Error).message),
  );
});

test("a matmul whose output does not fit the DRAM fails with OutOfMemoryError, not a crash", async () => {
  // The inputs (256 KiB + 320 KiB) fit in 1 MiB; the [512, 640] fp16 output (640 KiB) does not.
  await assert.rejects(
    runNpu(chip(small), "matmul", [tensor("float16", [512, 256], ramp(512 * 256)), tensor("float16", [256, 640], ramp(256 * 640))]),
    (err: unknown) => err instanceof OutOfMemoryError && /cannot allocate 655360 bytes of DRAM: 458752 bytes free/.test((err as Error).message),
  );
});

test("freed DRAM can be allocated again", () => {
  const npu = chip(small);
  const b = npu.alloc(1024 * 1024);
  npu.free(b);
  assert.equal(npu.bytesInUse, 0);
  assert.equal(npu.alloc(1024 * 1024).bytes, 1024 * 1024);
});

test("every kernel emits a profiler event with its simulated cost in args", async () => {
  const npu = chip();
  const events: ProfileEvent[] = [];
  npu.setEventSink((e) => events.push(e));
  await runNpu(npu, "matmul", [tensor("float16", [32, 64], ramp(32 * 64)), tensor("float16", [64, 16], ramp(64 * 16))]);
  const kernel = events.find((e) => e.category === "kernel")!;
  assert.equal(kernel.device, "npu-sim");
  assert.equal(kernel.name, "matmul");
  for (const key of [
    "cycles",
    "computeCycles",
    "dmaCycles",
    "macs",
    "macUtilisation",
    "dmaBytes",
    "onChipHighWaterBytes",
    "neuronRamHighWaterBytes",
    "weightRamHighWaterBytes",
    "simulatedMs",
    "tiles",
  ]) {
    assert.equal(typeof kernel.args?.[key], "number", key);
  }
  assert.equal(kernel.args?.macs, 32 * 64 * 16);
  assert.equal(kernel.duration, kernel.args?.simulatedMs);
  assert.match(String(kernel.args?.shapes), /float16\[32, 64\], float16\[64, 16\] -> float16\[32, 16\]/);
});

test("host writes and reads are transfer events on the simulated clock, and kernels start after them", async () => {
  const npu = chip({ hostLinkGBps: 1 });
  const events: ProfileEvent[] = [];
  npu.setEventSink((e) => events.push(e));
  await runNpu(npu, "add", [tensor("float32", [1000], ramp(1000)), tensor("float32", [1000], ramp(1000))]);
  const writes = events.filter((e) => e.category === "transfer" && e.args?.direction === "host-to-device");
  assert.equal(writes.length, 2);
  assert.equal(writes[0]!.args?.bytes, 4000);
  assert.ok(Math.abs(writes[0]!.duration - (4000 / 1e9) * 1e3) < 1e-12);
  const kernel = events.find((e) => e.category === "kernel")!;
  assert.ok(kernel.start >= writes[1]!.start + writes[1]!.duration);
  assert.ok(npu.simulatedTimeMs >= npu.kernelTimeMs + npu.transferTimeMs - 1e-12);
});

test("a kernel launched on a freed buffer is refused", () => {
  const npu = chip();
  const b = npu.alloc(8);
  npu.free(b);
  const view = { buffer: b, dtype: "float32" as const, shape: [2], strides: [1], offset: 0 };
  assert.throws(() => npu.launch(kernelFor("relu", "float32"), { op: "relu", inputs: [view], outputs: [view], attrs: {} }), DeviceError);
});

test("an npu-sim kernel run on another device fails clearly", () => {
  const other = new HostDevice(
    { name: "other", vendor: "x", kind: "cpu", halVersion: "1.0.0" },
    { dtypes: ["float32"], limits: { maxBufferBytes: 1024, totalMemoryBytes: 1024 }, features: [] },
  );
  const b = other.alloc(8);
  const view = { buffer: b, dtype: "float32" as const, shape: [2], strides: [1], offset: 0 };
  assert.throws(
    () => other.launch(kernelFor("relu", "float32"), { op: "relu", inputs: [view], outputs: [view], attrs: {} }),
    (err: unknown) => err instanceof KernelError && /not npu-sim/.test((err as Error).message),
  );
});

test("the device describes its chip profile", () => {
  const npu = chip({ cores: 4 });
  assert.equal(npu.info.kind, "npu");
  assert.equal(npu.info.details?.cores, 4);
  assert.equal(npu.capabilities.limits.totalMemoryBytes, 16384 * 1024 * 1024);
  assert.ok(npu.capabilities.dtypes.includes("bool"), "comparisons and where keep their masks on the chip");
});
