import assert from "node:assert/strict";
import { test } from "node:test";
import { compile, gt, nn, profiler, randn, relu, setDefaultDevice, tidy, type Tensor } from "../index.ts";
import { assertClose } from "../testing/compile-twins.ts";

setDefaultDevice("cpu");

/** The kernel names one run of `run` launched. */
function kernelsOf(run: () => Tensor | Tensor[]): string[] {
  profiler.start();
  const out = run();
  for (const t of [out].flat()) t.dispose();
  return profiler.stop().map((e) => e.name);
}

/** The gradient of a conv -> batch norm -> relu -> sum, as x.grad, plus the loss. */
function convBnRelu() {
  const conv = new nn.Conv2d(2, 4, 3, { padding: 1, bias: false });
  const bn = new nn.BatchNorm2d(4);
  const x = randn([3, 2, 5, 5]);
  const upstream = randn([3, 4, 5, 5]);
  bn.train();
  return () => {
    const input = x.mul(1).detach().requiresGrad_();
    const loss = relu(bn.forward(conv.forward(input)))
      .mul(upstream)
      .sum();
    loss.backward();
    const grad = input.grad!;
    return [loss.detach(), grad];
  };
}

test("a batch norm only a relu reads runs as batchNormTrainingRelu, its gradient with the mask as batchNormTrainingReluGrad, equal to eager", async () => {
  const fn = convBnRelu();
  const step = compile(fn);
  const [loss, grad] = step();
  const [eagerLoss, eagerGrad] = tidy(fn);
  await assertClose(loss!, eagerLoss!, 1e-5, "loss");
  await assertClose(grad!, eagerGrad!, 1e-5, "x.grad");
  const kernels = kernelsOf(step);
  assert.equal(kernels.filter((k) => k === "batchNormTrainingRelu").length, 1);
  assert.equal(kernels.filter((k) => k === "batchNormTrainingReluGrad").length, 1);
  assert.ok(!kernels.includes("batchNormTraining") && !kernels.includes("relu") && !kernels.includes("batchNormTrainingGrad"), kernels.join(" "));
  for (const t of [loss, grad, eagerLoss, eagerGrad]) t!.dispose();
});

test("a batch norm output the function returns keeps its own kernel and the relu", async () => {
  const bn = new nn.BatchNorm2d(3);
  const x = randn([2, 3, 4, 4]);
  const fn = () => {
    const y = bn.forward(x.mul(1));
    return [y, relu(y)];
  };
  const step = compile(fn);
  const [y, r] = step();
  const [eagerY, eagerR] = tidy(fn);
  await assertClose(y!, eagerY!, 1e-5, "y");
  await assertClose(r!, eagerR!, 1e-5, "relu(y)");
  const kernels = kernelsOf(step);
  assert.ok(kernels.includes("batchNormTraining") && kernels.includes("relu") && !kernels.includes("batchNormTrainingRelu"), kernels.join(" "));
  for (const t of [y, r, eagerY, eagerR]) t!.dispose();
});

test("a mask against a negative threshold keeps reading the relu's input", async () => {
  const x = randn([64]);
  const fn = () => {
    const a = x.mul(2);
    const r = relu(a);
    // For a <= -0.5, a > -0.5 is false while relu(a) = 0 > -0.5 is true: reading the relu would be wrong.
    return r.add(gt(a, -0.5).cast("float32"));
  };
  const step = compile(fn);
  const out = step();
  const eager = tidy(fn);
  assert.ok(
    (await x.data()).some((v) => 2 * v <= -0.5),
    "the batch has values the threshold tells apart",
  );
  await assertClose(out, eager, 0, "relu(a) + (a > -0.5)");
  out.dispose();
  eager.dispose();
});
