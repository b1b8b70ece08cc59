import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { loadFashionMnist } from "@polychip/datasets";
import { fallbackReport, listDevices, manualSeed, resetFallbackReport, setDefaultDevice, setWarningHandler, useDevice } from "@polychip/engine";
import type { NpuSimDevice } from "@polychip/npu-sim";
import { mlp } from "./models.ts";
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
