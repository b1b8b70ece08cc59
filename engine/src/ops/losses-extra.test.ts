import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cosineEmbeddingLoss,
  gaussianNLLLoss,
  huberLoss,
  marginRankingLoss,
  multiLabelSoftMarginLoss,
  nn,
  randn,
  setDefaultDevice,
  tensor,
  tripletMarginLoss,
} from "../index.ts";

setDefaultDevice("cpu");

test("the new losses refuse mismatched shapes and bad options, naming the loss", () => {
  assert.throws(() => huberLoss(randn([2, 3]), randn([3])), /huberLoss: input \[2, 3\] and target \[3\] must have the same shape/);
  assert.throws(() => huberLoss(randn([2]), randn([2]), { delta: 0 }), /huberLoss: delta must be > 0, got 0/);
  assert.throws(() => huberLoss(randn([2]), randn([2]), { reduction: "avg" as never }), /huberLoss: reduction must be 'mean', 'sum' or 'none', got "avg"/);
  assert.throws(
    () => cosineEmbeddingLoss(randn([3, 4]), randn([3, 4]), randn([2])),
    /cosineEmbeddingLoss: expects inputs \[N, D\] with target \[N\] \(or \[D\] with a scalar target\), got \[3, 4\] and target \[2\]/,
  );
  assert.throws(() => marginRankingLoss(randn([3]), randn([4]), randn([3])), /marginRankingLoss: input \[3\] and target \[4\]/);
  assert.throws(
    () => tripletMarginLoss(randn([2, 3, 4]), randn([2, 3, 4]), randn([2, 3, 4])),
    /tripletMarginLoss: expects \[N, D\] or \[D\] inputs, got \[2, 3, 4\]/,
  );
  assert.throws(() => multiLabelSoftMarginLoss(randn([2, 2, 2]), randn([2, 2, 2])), /multiLabelSoftMarginLoss: expects \[N, C\] or \[C\], got \[2, 2, 2\]/);
  assert.throws(
    () => gaussianNLLLoss(randn([3, 4]), randn([3, 4]), randn([4])),
    /gaussianNLLLoss: var \[4\] must be shaped like input \[3, 4\], like it without the last dim, or with a last dim of 1/,
  );
});

test("loss objects give the functions' values through call and forward", async () => {
  const [a, b, c] = [randn([4, 5]), randn([4, 5]), randn([4, 5])];
  const signs = tensor([1, -1, 1, -1]);
  const same = async (x: ReturnType<typeof randn>, y: ReturnType<typeof randn>) => assert.equal(await x.item(), await y.item());
  await same(new nn.HuberLoss({ delta: 0.5 }).forward(a, b), huberLoss(a, b, { delta: 0.5 }));
  await same(new nn.TripletMarginLoss({ swap: true }).call(a, b, c), tripletMarginLoss(a, b, c, { swap: true }));
  await same(new nn.CosineEmbeddingLoss({ margin: 0.1 }).forward(a, b, signs), cosineEmbeddingLoss(a, b, signs, { margin: 0.1 }));
  const v = randn([4, 5]).abs();
  await same(new nn.GaussianNLLLoss({ full: true }).call(a, b, v), gaussianNLLLoss(a, b, v, { full: true }));
  for (const loss of [new nn.SoftMarginLoss(), new nn.HingeEmbeddingLoss(), new nn.PoissonNLLLoss(), new nn.MultiLabelSoftMarginLoss()]) {
    assert.ok(Number.isFinite(await loss.call(a, b.gt(0).float()).item()), loss.constructor.name);
  }
  assert.deepEqual(new nn.MarginRankingLoss({ reduction: "none" }).call(tensor([1, 2]), tensor([2, 1]), tensor([1, 1])).shape, [2]);
});
