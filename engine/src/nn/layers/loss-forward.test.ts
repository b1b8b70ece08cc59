import assert from "node:assert/strict";
import { test } from "node:test";
import { nn, tensor } from "../../index.ts";

test("a loss object's forward equals its call, as torch losses are modules with forward", async () => {
  const logits = tensor([2, 0.5, -1, 0.1, 0.3, 1.2], { shape: [2, 3] });
  const target = tensor([0, 2], { dtype: "int32" });
  const loss = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
  assert.equal(await loss.forward(logits, target).item(), await loss.call(logits, target).item());
  const mse = new nn.MSELoss();
  assert.equal(await mse.forward(logits, logits.mul(2)).item(), await mse.call(logits, logits.mul(2)).item());
});
