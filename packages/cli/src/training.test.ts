import assert from "node:assert/strict";
import { test } from "node:test";
import { loadFashionMnist } from "@polychip/datasets";
import { manualSeed, memory } from "@polychip/engine";
import { mlp } from "./models.ts";
import { evaluate, train } from "./training.ts";

test("the MLP learns the embedded Fashion-MNIST subset: loss falls and test accuracy beats 75%", async () => {
  manualSeed(7);
  const data = await loadFashionMnist({ subset: true });
  assert.equal(data.source, "embedded");
  const model = mlp();
  const losses: number[] = [];
  const stats = await train(model, data.train, {
    epochs: 1,
    batchSize: 64,
    lr: 1e-3,
    device: "cpu",
    seed: 7,
    progress: false,
    onStep: (_s, l) => losses.push(l),
  });
  const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
  const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
  assert.ok(last < first * 0.6, `loss should fall: first 10 steps ${first.toFixed(3)}, last 10 ${last.toFixed(3)}`);
  assert.equal(stats.length, 1);
  const { accuracy } = await evaluate(model, data.test, "cpu");
  assert.ok(accuracy > 0.75, `test accuracy ${accuracy}`);
  const before = memory("cpu")[0]!.tensors;
  model.dispose();
  assert.ok(memory("cpu")[0]!.tensors < before);
});
