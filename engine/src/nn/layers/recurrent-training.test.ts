import { test } from "node:test";
import assert from "node:assert/strict";
import { manualSeed, mseLoss, rand, tidy, type Tensor } from "../../index.ts";
import { Adam } from "../../optim/adam.ts";
import { Linear } from "./linear.ts";
import { LSTM } from "./recurrent.ts";

/**
 * A memory task a feed-forward net on the last input cannot solve: after six steps of noise,
 * output the value seen at the first step. Only the LSTM's state carries it across.
 */
test("an LSTM learns to recall the first value of a sequence", async () => {
  manualSeed(3);
  const steps = 6;
  const batch = 32;
  const lstm = new LSTM(1, 12);
  const head = new Linear(12, 1);
  const optimizer = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.03 });
  const losses: number[] = [];
  for (let step = 0; step < 200; step++) {
    const loss = tidy(() => {
      const x = rand([steps, batch, 1], { low: -1, high: 1 });
      const target = x.slice(0, 0, 1).reshape([batch, 1]);
      const { h } = lstm.forwardWithState(x);
      const prediction: Tensor = head.forward(h.reshape([batch, 12]));
      const l = mseLoss(prediction, target);
      optimizer.zeroGrad();
      l.backward();
      optimizer.step();
      return l;
    });
    losses.push((await loss.data())[0]!);
    loss.dispose();
  }
  const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
  const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
  console.log(`# recall loss: first 10 steps ${first.toFixed(4)}, last 10 steps ${last.toFixed(4)}`);
  // Predicting the mean (0) scores the target's variance, 1/3; the bar is a tenth of that.
  assert.ok(last < 0.033, `mean loss of the last 10 steps is ${last}, above 0.033`);
});
