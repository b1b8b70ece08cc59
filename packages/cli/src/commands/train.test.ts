import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { trainCommand, type TrainArgs } from "./train.ts";

async function trainBriefly(args: Partial<TrainArgs>) {
  const dir = await mkdtemp(join(tmpdir(), "polychip-train-"));
  try {
    return await trainCommand({
      model: "mlp",
      epochs: 1,
      batch: 16,
      lr: 1e-3,
      device: "cpu",
      subset: true,
      out: join(dir, "mlp.pcck"),
      json: true,
      seed: 2,
      maxSteps: 3,
      ...args,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("train on npu-sim picks mixed-fp16 by itself and reports the chip's simulated time and no cpu fallback", async () => {
  const result = await trainBriefly({ device: "npu-sim" });
  assert.equal(result.precision, "mixed-fp16");
  assert.ok(result.simulatedMs !== undefined && result.simulatedMs > 0, `simulated ms ${result.simulatedMs}`);
  assert.deepEqual(result.fallbacks, []);
  assert.ok(result.skippedSteps >= 0 && result.skippedSteps <= 3);
  assert.ok(result.testAccuracy > 0.2, `test accuracy after 3 steps ${result.testAccuracy}`);
});

test("train on cpu stays fp32 and reports no simulated time", async () => {
  const result = await trainBriefly({});
  assert.equal(result.precision, "fp32");
  assert.equal(result.simulatedMs, undefined);
  assert.equal(result.skippedSteps, 0);
});

test("--precision fp32 on npu-sim trains float32 on the vector unit", async () => {
  const result = await trainBriefly({ device: "npu-sim", precision: "fp32" });
  assert.equal(result.precision, "fp32");
  assert.ok(result.simulatedMs! > 0);
  assert.deepEqual(result.fallbacks, []);
});
