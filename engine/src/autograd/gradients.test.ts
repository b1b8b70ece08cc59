import assert from "node:assert/strict";
import { test } from "node:test";
import { allOps } from "@polychip/hal";
import { alias, contiguous, setDefaultDevice, tensor } from "../index.ts";
import { apply } from "../ops/apply.ts";
import { GRADIENTS, NON_DIFFERENTIABLE } from "./gradients.ts";

setDefaultDevice("cpu");

test("select on a tensor that requires grad passes the gradient back to the selected row", async () => {
  const x = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { requiresGrad: true },
  );
  x.select(0, 1).sum().backward();
  assert.deepEqual(Array.from(await x.grad!.data()), [0, 0, 1, 1]);
});

test("a second backward through a freed graph is refused, as PyTorch does", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = x.mul(2).sum();
  y.backward();
  assert.throws(() => y.backward(), /already used by an earlier backward\(\)/);
});

test("retainGraph keeps the graph for a second backward, which accumulates", async () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = x.mul(2).sum();
  y.backward(undefined, { retainGraph: true });
  y.backward();
  assert.deepEqual(Array.from(await x.grad!.data()), [4, 4, 4]);
});

test("a view that shares memory (alias, contiguous) keeps the gradient flowing", async () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  contiguous(alias(x)).mul(3).sum().backward();
  assert.deepEqual(Array.from(await x.grad!.data()), [3, 3, 3]);
});

test("an op recorded without a gradient rule fails backward by name instead of dropping the gradient", () => {
  const x = tensor([[1, 2, 3]], { requiresGrad: true });
  const y = apply("layerNorm", [x], { axis: -1, epsilon: 1e-5 });
  assert.equal(y.requiresGrad, true);
  assert.throws(() => y.sum().backward(), /no gradient rule for op 'layerNorm' \(inputs float32\[1, 3\]\)/);
});

test("every name in the gradient table is a HAL op, a view op or one of the engine's composites", () => {
  const known = new Set([...allOps().map((o) => o.name), "identity", "reshape", "permute", "slice", "expand", "clamp", "to", "backwardHook"]);
  for (const op of [...Object.keys(GRADIENTS), ...NON_DIFFERENTIABLE]) assert.ok(known.has(op), `unknown op '${op}' in the gradient table`);
});
