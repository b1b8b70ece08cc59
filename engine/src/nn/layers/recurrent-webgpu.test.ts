/**
 * The recurrent layers on webgpu (Dawn on SwiftShader in CI): the device has no recurrent kernels,
 * so the HAL composites run as their reference decompositions on its WGSL primitives. Shapes are
 * tiny; SwiftShader is slow.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import "../../testing/first-party-devices.ts";
import { isWebGpuAvailable } from "@polychip/device-webgpu";
import { runOp } from "../../core/dispatch.ts";
import { assertClose } from "../../golden/fixtures.ts";
import { fallbackReport, manualSeed, noGrad, randn, removeDevice, tensor, Tensor, useDevice } from "../../index.ts";
import { LSTM } from "./recurrent.ts";
import { checkRecurrentGolden, RECURRENT_GOLDEN } from "../../golden/recurrent-cases.ts";

const NO_WEBGPU = (await isWebGpuAvailable()) ? false : "no WebGPU adapter: install chromium and libvulkan1 (Dawn then runs on Chromium's SwiftShader)";

before(async () => {
  if (!NO_WEBGPU) await useDevice("webgpu");
});
after(() => removeDevice("webgpu"));

const TOLERANCE = { rtol: 1e-5, atol: 1e-6 };

test("a bidirectional LSTM runs its composite on webgpu and matches cpu", { skip: NO_WEBGPU }, async () => {
  manualSeed(11);
  const cpu = new LSTM(2, 3, { bidirectional: true });
  const gpu = new LSTM(2, 3, { bidirectional: true, device: "webgpu" });
  gpu.loadStateDict(cpu.stateDict());
  const x = randn([3, 2, 2]);
  const expected = noGrad(() => cpu.forwardWithState(x));
  const got = noGrad(() => gpu.forwardWithState(x.to("webgpu")));
  assert.equal(got.output.device, "webgpu");
  assertClose(await got.output.data(), Array.from(await expected.output.data()), TOLERANCE, "output");
  assertClose(await got.c!.data(), Array.from(await expected.c!.data()), TOLERANCE, "c");
  assert.deepEqual(
    fallbackReport().filter((r) => r.device === "webgpu"),
    [],
  );
});

test("the gru composite with sequence lengths in reverse runs on webgpu and matches cpu", { skip: NO_WEBGPU }, async () => {
  manualSeed(12);
  const [x, w, r, b] = [randn([3, 2, 2]), randn([1, 9, 2]), randn([1, 9, 3]), randn([1, 18])];
  const lens = tensor(Int32Array.from([3, 1]), { shape: [2] });
  const attrs = { direction: "reverse", optionalInputs: "bias,sequenceLens", linearBeforeReset: true };
  const run = (device: string) =>
    runOp(
      "gru",
      [x, w, r, b, lens].map((t) => t.to(device).view),
      attrs,
    ).map((v) => new Tensor(v));
  const expected = run("cpu");
  const got = run("webgpu");
  for (let i = 0; i < 2; i++) assertClose(await got[i]!.data(), Array.from(await expected[i]!.data()), TOLERANCE, i === 0 ? "Y" : "Y_h");
  assert.deepEqual(
    fallbackReport().filter((f) => f.device === "webgpu"),
    [],
  );
});

// The deepest PyTorch golden case of each layer (two layers, bidirectional, batchFirst, initial states), trained in WGSL.
for (const c of RECURRENT_GOLDEN.filter((g) => g.name.includes("two layers"))) {
  test(`${c.name} on webgpu: outputs and gradients match PyTorch`, { skip: NO_WEBGPU }, () => checkRecurrentGolden(c, "webgpu"));
}
