import assert from "node:assert/strict";
import { test } from "node:test";
import { loadFashionMnist } from "@polychip/datasets";
import { manualSeed, nn, noGrad } from "@polychip/engine";
import { train } from "./training.ts";

test("mixed-fp16 skips the steps whose float16 gradients overflow, backs the loss scale off, and trains on", async () => {
  manualSeed(4);
  const data = await loadFashionMnist({ subset: true });
  const linear = new nn.Linear(16, 10);
  // Large weights: the hidden layer's gradient g·W of the scaled loss overflows float16 at the initial scale 2^16.
  noGrad(() => linear.weight.assign(linear.weight.mul(300)));
  const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 16), linear);
  const [stats] = await train(model, data.train, {
    epochs: 1,
    batchSize: 32,
    lr: 1e-3,
    device: "cpu",
    seed: 4,
    progress: false,
    maxSteps: 12,
    precision: "mixed-fp16",
  });
  assert.ok(stats!.skippedSteps >= 1, `skipped ${stats!.skippedSteps}`);
  assert.ok(stats!.lossScale < 2 ** 16, `scale ${stats!.lossScale}`);
  assert.ok(stats!.skippedSteps < 12, "some steps updated the weights");
  const weights = await linear.weight.data();
  assert.ok(weights.every(Number.isFinite), "the float32 master weights stay finite");
  model.dispose();
});
