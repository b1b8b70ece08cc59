import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { loadFashionMnist } from "@polychip/datasets";
import { fallbackReport, listDevices, manualSeed, resetFallbackReport, setDefaultDevice, setWarningHandler, useDevice } from "@polychip/engine";
import type { NpuSimDevice } from "@polychip/npu-sim";
import { cnn, mlp } from "./models.ts";
import { train } from "./training.ts";

test("the MLP trains on npu-sim with every op on the chip: nothing falls back, nothing crosses but the batches", async () => {
  const warnings: string[] = [];
  setWarningHandler((m) => warnings.push(m));
  resetFallbackReport();
  manualSeed(3);
  await useDevice("npu-sim");
  const npu = listDevices().find((d) => d.info.name === "npu-sim") as NpuSimDevice;
  const data = await loadFashionMnist({ subset: true });
  setDefaultDevice("npu-sim");
  const model = mlp();
  setDefaultDevice("cpu");
  const losses: number[] = [];
  await train(model, data.train, {
    epochs: 1,
    batchSize: 64,
    lr: 1e-3,
    device: "npu-sim",
    seed: 3,
    progress: false,
    maxSteps: 16,
    onStep: (_s, l) => losses.push(l),
  });
  assert.deepEqual(fallbackReport(), []);
  assert.deepEqual(warnings, []);
  assert.equal(losses.length, 16);
  assert.ok(
    losses.slice(-4).reduce((a, b) => a + b) < losses.slice(0, 4).reduce((a, b) => a + b) * 0.8,
    `loss should fall: ${losses.map((l) => l.toFixed(2)).join(" ")}`,
  );
  assert.ok(npu.kernelTimeMs > 0, "the chip reports simulated kernel time");
  const units = new Set(npu.kernelLog.map((k) => `${k.op}:${k.unit}`));
  assert.ok(units.has("matmul:vector"), "float32 matmuls run on the vector unit");
  model.dispose();
});

test("the CNN trains on npu-sim in mixed-fp16: float16 conv/matmul on the tensor unit, float32 master weights, nothing on the cpu", async () => {
  setWarningHandler(() => {});
  resetFallbackReport();
  manualSeed(5);
  const npu = (await useDevice("npu-sim")) as NpuSimDevice;
  const data = await loadFashionMnist({ subset: true });
  setDefaultDevice("npu-sim");
  const model = cnn();
  setDefaultDevice("cpu");
  const first = model.parameters()[0]!;
  const before = await first.data();
  npu.resetStats();
  const clock = npu.simulatedTimeMs;
  const [stats] = await train(model, data.train, {
    epochs: 1,
    batchSize: 8,
    lr: 1e-3,
    device: "npu-sim",
    seed: 5,
    progress: false,
    maxSteps: 2,
    precision: "mixed-fp16",
  });
  assert.deepEqual(fallbackReport(), []);
  for (const p of model.parameters()) assert.equal(p.dtype, "float32", "master weights stay float32");
  assert.notDeepEqual(await first.data(), before, "the float32 master weights were updated");
  const kernels = new Set(npu.kernelLog.map((k) => `${k.op}:${k.dtype}:${k.unit}`));
  for (const k of ["conv2d:float16:tensor", "matmul:float16:tensor", "cast:float32:vector"]) assert.ok(kernels.has(k), `ran ${k}: ${[...kernels].join(" ")}`);
  assert.ok(npu.simulatedTimeMs > clock, "the chip's simulated clock advanced");
  assert.ok(stats!.lossScale > 0 && stats!.skippedSteps <= 2);
  model.dispose();
});
