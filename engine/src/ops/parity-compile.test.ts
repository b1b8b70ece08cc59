/**
 * compile() records the parity ops like any other: a step mixing the new activations, pools,
 * norms, distances and losses gives the eager loss and gradients (issue: every op works in graph mode).
 */
import { test } from "node:test";
import * as E from "../index.ts";
import { compile, manualSeed, randn, tensor, type Tensor } from "../index.ts";
import { assertClose } from "../testing/compile-twins.ts";

E.setDefaultDevice("cpu");

function step(x: Tensor, w: Tensor, v: Tensor): Tensor {
  const img = E.mul(x, w); // [2, 4, 5, 5] scaled per channel
  const acts = E.add(E.add(E.mish(img), E.hardswish(img)), E.add(E.elu(img, 0.5), E.leakyRelu(img, 0.2)));
  const normed = E.instanceNorm(E.padTrailing(acts, [1, 1, 1, 1], "reflect"), undefined, undefined, w.reshape([4]));
  const pooled = E.adaptiveMaxPool2d(E.adaptiveAvgPool2d(normed, [3, 4]), [2, 2]).flatten(1); // [2, 16]
  const [a, b] = E.chunk(E.glu(E.cat([pooled, pooled], 1), 1), 2, 1); // two [2, 8]
  const target = tensor([
    [1, 0, 2, 1, 0, 0, 1, 3],
    [0, 2, 1, 1, 4, 0, 1, 0],
  ]);
  const losses = [
    E.tripletMarginLoss(a!, b!, E.normalize(b!), { swap: true }),
    E.huberLoss(a!, b!, { delta: 0.3 }),
    E.poissonNLLLoss(a!, target, { full: true }),
    E.gaussianNLLLoss(a!, b!, E.add(E.softsign(v), 1.5)),
    E.cosineEmbeddingLoss(a!, b!, tensor([1, -1]), { margin: 0.1 }),
    E.multiLabelSoftMarginLoss(a!, E.gt(target, 0).float()),
    E.mean(E.std(a!, 1, false, 0)),
  ];
  const loss = losses.reduce((p, q) => E.add(p, q));
  loss.backward();
  return loss;
}

test("a step over the parity ops gives the same loss and gradients compiled as eagerly", async () => {
  manualSeed(21);
  const [x, w, v] = [randn([2, 4, 5, 5]), randn([1, 4, 1, 1]), randn([2, 8])];
  const leaves = () => [x, w, v].map((t) => t.clone().requiresGrad_()) as [Tensor, Tensor, Tensor];
  const eager = leaves();
  const eagerLoss = step(...eager);
  const compiled = leaves();
  const run = compile(step);
  const compiledLoss = run(...compiled);
  await assertClose(compiledLoss, eagerLoss, 1e-5, "loss");
  for (const [i, name] of ["x", "w", "v"].entries()) await assertClose(compiled[i]!.grad!, eager[i]!.grad!, 1e-4, `gradient of ${name}`);
});
