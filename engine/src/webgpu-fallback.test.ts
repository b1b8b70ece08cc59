/**
 * What the engine shows when webgpu cannot run something. The device has a kernel for every HAL op
 * at every dtype, so the missing path is made the way it happens in practice: a tensor larger than
 * the device's storage-binding limit (lowered here to 1 KiB through the device's create options).
 * Device loss is the real thing: the underlying GPUDevice is destroyed.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import "./testing/first-party-devices.ts";
import { DeviceError } from "@polychip/hal";
import { isWebGpuAvailable, type WebGpuDevice } from "@polychip/device-webgpu";
import { fallbackReport, profiler, removeDevice, resetFallbackReport, setFallbackPolicy, setWarningHandler, tensor, useDevice } from "./index.ts";

const skip = (await isWebGpuAvailable()) ? false : "no WebGPU adapter: install chromium and libvulkan1 (Dawn then runs on Chromium's SwiftShader)";

const BINDING_LIMIT = 1024;
/** 600 float32 values: 2400 bytes, over the lowered binding limit. */
const BIG = Float32Array.from({ length: 600 }, (_, i) => i);

after(() => removeDevice("webgpu"));

async function narrowWebGpu(): Promise<WebGpuDevice> {
  return (await useDevice("webgpu", { limits: { maxBindingBytes: BINDING_LIMIT } })) as WebGpuDevice;
}

test("an op over webgpu's binding limit falls back to cpu: counted, profiled, warned once", { skip }, async () => {
  await narrowWebGpu();
  const warnings: string[] = [];
  setWarningHandler((m) => warnings.push(m));
  resetFallbackReport();
  profiler.start();
  try {
    const x = tensor(BIG, { device: "webgpu" });
    let y = x;
    for (let i = 0; i < 3; i++) y = y.mul(2);
    const small = tensor([1, 2, 3], { device: "webgpu" }).mul(2);
    assert.equal(y.device, "webgpu");
    assert.deepEqual(Array.from((await y.data()).slice(0, 3)), [0, 8, 16]);
    assert.deepEqual(Array.from(await small.data()), [2, 4, 6]);

    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /mul \(float32\) falls back to cpu on 'webgpu': a 2400-byte binding exceeds the device's 1024-byte limit/);
    const records = fallbackReport().filter((r) => r.device === "webgpu");
    assert.equal(records.length, 1, "only the big mul fell back, not the small one");
    assert.equal(records[0]!.op, "mul");
    assert.equal(records[0]!.count, 3);
    assert.equal(records[0]!.bytesToDevice, 3 * BIG.byteLength);
    assert.ok(records[0]!.bytesToHost >= 3 * BIG.byteLength);
  } finally {
    const fallbacks = profiler.stop().filter((e) => e.category === "fallback" && e.device === "webgpu");
    assert.equal(fallbacks.length, 3, "each fallback is a profiler event");
    setWarningHandler((m) => console.warn(m));
  }
});

test("with the error policy the same op is refused, naming op, dtype and device", { skip }, async () => {
  await narrowWebGpu();
  setFallbackPolicy("error");
  try {
    const x = tensor(BIG, { device: "webgpu" });
    assert.throws(() => x.mul(2), { name: "UnsupportedOpError", message: /mul \(float32\) cannot run on 'webgpu'.*1024-byte limit.*disabled/ });
    x.dispose();
  } finally {
    setFallbackPolicy("warn-once");
  }
});

test("webgpu device loss surfaces as a DeviceError and the engine carries on on cpu", { skip }, async () => {
  const device = await narrowWebGpu();
  const t = tensor([1, 2, 3], { device: "webgpu" });
  const pending = t.exp().data();
  device.gpu.destroy();
  const lost = { name: "DeviceError", message: /webgpu: the device was lost \(destroyed.*\); create a new device to continue/ };
  await assert.rejects(pending, lost, "a read in flight");
  await assert.rejects(t.data(), lost, "a later read");
  assert.throws(() => t.exp(), lost, "an op");
  assert.throws(() => tensor([1], { device: "webgpu" }), lost, "a new tensor");

  await removeDevice("webgpu");
  t.dispose();
  assert.throws(
    () => tensor([1], { device: "webgpu" }),
    (e: unknown) => e instanceof DeviceError && /unknown device 'webgpu'/.test(e.message),
  );
  assert.deepEqual(Array.from(await tensor([1, 2]).mul(3).data()), [3, 6], "cpu still works");

  // A new device can be had after the loss.
  await useDevice("webgpu");
  assert.deepEqual(Array.from(await tensor([1, 2], { device: "webgpu" }).mul(3).data()), [3, 6]);
});
