import assert from "node:assert/strict";
import { test } from "node:test";
import { loadFashionMnist } from "@polychip/datasets";
import { manualSeed, nn, noGrad } from "@polychip/engine";
import { train } from "./training.ts";

/** `steps` mixed-fp16 steps of `model` on the cpu over the subset, batch 32, seed 4. */
async function mixedSteps(model: nn.Module, steps: number) {
  const data = await loadFashionMnist({ subset: true });
  return train(model, data.train, { epochs: 1, batchSize: 32, lr: 1e-3, device: "cpu", seed: 4, progress: false, maxSteps: steps, precision: "mixed-fp16" });
}

test("mixed-fp16 skips the steps whose float16 gradients overflow, backs the loss scale off, and trains on", async () => {
  manualSeed(4);
  const linear = new nn.Linear(16, 10);
  // Large weights: the hidden layer's gradient g·W of the scaled loss overflows float16 at the initial scale 2^16.
  noGrad(() => linear.weight.assign(linear.weight.mul(300)));
  const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 16), linear);
  const [stats] = await mixedSteps(model, 12);
  assert.ok(stats!.skippedSteps >= 1, `skipped ${stats!.skippedSteps}`);
  assert.ok(stats!.lossScale < 2 ** 16, `scale ${stats!.lossScale}`);
  assert.ok(stats!.skippedSteps < 12, "some steps updated the weights");
  const weights = await linear.weight.data();
  assert.ok(weights.every(Number.isFinite), "the float32 master weights stay finite");
  model.dispose();
});

test("mixed-fp16 computes the loss in float32 inside autocast, so the first step at the initial 2^16 scale is not lost to float16 overflow", async () => {
  manualSeed(4);
  const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 16), new nn.ReLU(), new nn.Linear(16, 10));
  const before = await model.parameters()[3]!.data();
  // A float16 loss near 2.3 times 2^16 is infinite in float16 and so is its gradient's seed: the step would be skipped.
  const [stats] = await mixedSteps(model, 1);
  assert.equal(stats!.skippedSteps, 0);
  assert.equal(stats!.lossScale, 2 ** 16);
  assert.ok(stats!.loss > 1, `an untrained loss, ${stats!.loss}`);
  const after = await model.parameters()[3]!.data();
  assert.ok(
    after.some((v, i) => v !== before[i]),
    "the step updated the float32 master weights",
  );
  model.dispose();
});
