import assert from "node:assert/strict";
import { test } from "node:test";
import { HAL_VERSION } from "@polychip/hal";
import { cat, conv2d, fallbackReport, randn, registerPlugin, resetFallbackReport, setFallbackPolicy, setWarningHandler, tensor, tidy } from "./index.ts";
import { fallbackTarget, getDeviceEntry, isLastResort } from "./core/devices.ts";
import { isPrimitive, miniPlugin } from "./testing/mini-device.ts";

async function closeTo(a: Promise<ArrayLike<number>>, b: Promise<ArrayLike<number>>, tol = 1e-5) {
  const [x, y] = await Promise.all([a, b]);
  assert.equal(x.length, y.length);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) <= tol * (1 + Math.abs(y[i]!)), `element ${i}: ${x[i]} vs ${y[i]}`);
}

test("a device with only primitives runs composites through their decompositions", async () => {
  await registerPlugin(miniPlugin({ name: "prims", keep: isPrimitive, syncRead: true }));
  const x = randn([2, 3, 7, 7]);
  const w = randn([4, 3, 3, 3]);
  const onCpu = conv2d(x, w, undefined, { padding: 1, stride: 2 }).softmax(1);
  const onPrims = conv2d(x.to("prims"), w.to("prims"), undefined, { padding: 1, stride: 2 }).softmax(1);
  assert.equal(onPrims.device, "prims");
  await closeTo(onPrims.data(), onCpu.data());
});

test("a missing primitive falls back to cpu once-warned, counted, with the right values", async () => {
  const warnings: string[] = [];
  setWarningHandler((m) => warnings.push(m));
  resetFallbackReport();
  await registerPlugin(miniPlugin({ name: "noexp", keep: (op) => isPrimitive(op) && op !== "exp", syncRead: true }));
  const x = tensor([0, 1, 2], { device: "noexp" });
  const y = x.exp().add(1).exp();
  assert.equal(y.device, "noexp");
  await closeTo(y.data(), Promise.resolve([Math.exp(2), Math.exp(Math.E + 1), Math.exp(Math.exp(2) + 1)]));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /exp \(float32\) falls back to cpu on 'noexp': no exp kernel/);
  const rec = fallbackReport().find((r) => r.device === "noexp" && r.op === "exp")!;
  assert.equal(rec.count, 2);
  assert.ok(rec.bytesToHost > 0 && rec.bytesToDevice === 24);
});

test("fallback on an asynchronous device keeps program order", async () => {
  resetFallbackReport();
  setWarningHandler(() => {});
  await registerPlugin(miniPlugin({ name: "asyncdev", keep: (op) => isPrimitive(op) && op !== "exp" }));
  const result = tidy(() => {
    let t = tensor([0.5, 1, 1.5], { device: "asyncdev" });
    for (let i = 0; i < 3; i++) t = t.mul(0.5).exp().sub(1);
    return t;
  });
  let expected = [0.5, 1, 1.5];
  for (let i = 0; i < 3; i++) expected = expected.map((v) => Math.exp(v * 0.5) - 1);
  await closeTo(result.data(), Promise.resolve(expected));
  assert.equal(fallbackReport().find((r) => r.device === "asyncdev")!.count, 3);
});

test("the error policy turns fallback into an error naming op, dtype and device", async () => {
  await registerPlugin(miniPlugin({ name: "strict", keep: (op) => isPrimitive(op) && op !== "sin", syncRead: true }));
  setFallbackPolicy("error");
  try {
    assert.throws(() => tensor([1], { device: "strict" }).sin(), /sin \(float32\) cannot run on 'strict': no sin kernel; CPU fallback is disabled/);
  } finally {
    setFallbackPolicy("warn-once");
  }
});

test("a plugin kernel that throws is retried on cpu and reported", async () => {
  setWarningHandler(() => {});
  resetFallbackReport();
  await registerPlugin(miniPlugin({ name: "flaky", keep: isPrimitive, syncRead: true, throwOn: "tanh" }));
  const y = tensor([0, 1], { device: "flaky" }).tanh();
  await closeTo(y.data(), Promise.resolve([0, Math.tanh(1)]));
  assert.match(fallbackReport().find((r) => r.device === "flaky")!.reason, /its kernel threw: .*simulated failure in tanh/);
});

test("a plugin built for another HAL major version is refused naming both versions", async () => {
  await assert.rejects(
    registerPlugin(miniPlugin({ name: "old", keep: isPrimitive, halVersion: "2.0.0" })),
    new RegExp(`plugin 'old' was built for HAL 2\\.0\\.0, but this engine implements HAL ${HAL_VERSION.replace(/\./g, "\\.")}`),
  );
});

test("a tensor larger than the device's biggest buffer is a clear out-of-memory error", async () => {
  await registerPlugin(miniPlugin({ name: "tiny", keep: isPrimitive, syncRead: true, limits: { maxBufferBytes: 1024 } }));
  assert.throws(() => tensor(new Float32Array(512), { device: "tiny" }), {
    name: "OutOfMemoryError",
    message: /float32\[512\] \(2048 bytes\) on 'tiny': its largest buffer is 1024 bytes/,
  });
});

test("a kernel whose binding exceeds the device limit runs on cpu instead", async () => {
  setWarningHandler(() => {});
  resetFallbackReport();
  await registerPlugin(miniPlugin({ name: "narrow", keep: isPrimitive, syncRead: true, limits: { maxBindingBytes: 64 } }));
  const x = tensor(
    Array.from({ length: 32 }, (_, i) => i),
    { device: "narrow" },
  );
  const y = x.mul(2);
  assert.equal((await y.data())[31], 62);
  assert.match(fallbackReport().find((r) => r.device === "narrow")!.reason, /128-byte binding exceeds the device's 64-byte limit/);
});

test("a device without a copy kernel still concatenates and pads: copyInto falls back to cpu and is reported", async () => {
  setWarningHandler(() => {});
  resetFallbackReport();
  for (const syncRead of [true, false]) {
    const name = syncRead ? "nocopy" : "nocopy-async";
    await registerPlugin(miniPlugin({ name, keep: (op) => isPrimitive(op) && op !== "copy", syncRead }));
    const a = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { device: name },
    );
    const b = tensor([[5], [6]], { device: name });
    const joined = cat([a, b], 1);
    assert.equal(joined.device, name);
    assert.deepEqual(Array.from(await joined.data()), [1, 2, 5, 3, 4, 6]);
    const rec = fallbackReport().find((r) => r.device === name && r.op === "copy")!;
    assert.equal(rec.reason, "no copy kernel");
    assert.ok(rec.count >= 2 && rec.bytesToDevice > 0);
  }
});

test("a plugin registering a kernel under 'cpu' is refused, and cpu's add still works", async () => {
  const evil = miniPlugin({ name: "hijack", keep: (op) => op === "add" });
  const plugin = { ...evil, kernels: [...evil.kernels, { ...evil.kernels[0]!, device: "cpu" }] };
  await assert.rejects(
    registerPlugin(plugin),
    /plugin 'hijack' may register kernels only for its own device 'hijack', but its kernel #\d+ \('add'\) is registered for device 'cpu'/,
  );
  assert.deepEqual(
    Array.from(
      await tensor([1, 2])
        .add(tensor([3, 4]))
        .data(),
    ),
    [4, 6],
  );
});

test("a plugin whose device takes another plugin's device name is refused naming both", async () => {
  const impostor = { ...miniPlugin({ name: "cpu", keep: isPrimitive }), name: "impostor" };
  await assert.rejects(registerPlugin(impostor), /plugin 'impostor' creates a device named 'cpu', which plugin 'cpu' already provides/);
  assert.deepEqual(
    Array.from(
      await tensor([1, 2])
        .mul(tensor([3, 4]))
        .data(),
    ),
    [3, 8],
  );
});

test("the fallback target is chosen by capability: a host-readable device with the kernel, never one without", async () => {
  await registerPlugin(miniPlugin({ name: "helper", keep: (op) => isPrimitive(op) && op !== "exp", syncRead: true }));
  await registerPlugin(miniPlugin({ name: "noread", keep: isPrimitive, syncRead: false }));
  const helper = getDeviceEntry("helper");
  assert.equal(fallbackTarget(helper, "exp", "float32")?.name, "cpu", "the cpu has exp and host-readable memory");
  assert.equal(fallbackTarget(getDeviceEntry("noread"), "add", "float32")?.name, "cpu", "registered first, so the cpu before 'helper'");
  assert.notEqual(fallbackTarget(getDeviceEntry("cpu"), "add", "float32")?.name, "noread", "a device the host cannot read is never a target");
  assert.equal(isLastResort(getDeviceEntry("cpu")), true);
  assert.equal(isLastResort(helper), false);
});
