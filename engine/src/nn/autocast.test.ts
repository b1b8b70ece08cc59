import assert from "node:assert/strict";
import { test } from "node:test";
import {
  add,
  autocast,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  bmm,
  cat,
  conv1d,
  conv2d,
  convTranspose2d,
  crossEntropy,
  cumsum,
  exp,
  groupNorm,
  isAutocastEnabled,
  layerNorm,
  linear,
  logSoftmax,
  manualSeed,
  matmul,
  mseLoss,
  nn,
  noGrad,
  norm,
  optim,
  prod,
  randn,
  relu,
  scaledDotProductAttention,
  setDefaultDevice,
  softmax,
  stack,
  sum,
  tensor,
  type Tensor,
} from "../index.ts";

setDefaultDevice("cpu");

const values = async (t: Tensor) => Array.from(await t.data());

test("inside autocast a Linear computes in float16 from its float32 weights and returns float16, as torch", async () => {
  manualSeed(2);
  const lin = new nn.Linear(16, 4);
  const x = randn([3, 16]);
  const full = await values(noGrad(() => lin.call(x)));
  const mixed = noGrad(() => autocast(() => lin.call(x)));
  const byHand = noGrad(() => linear(x.cast("float16"), lin.weight.cast("float16"), lin.bias!.cast("float16")));
  assert.equal(mixed.dtype, "float16");
  assert.deepEqual(await values(mixed), await values(byHand));
  assert.notDeepEqual(await values(mixed), full, "float16 rounding shows");
  assert.equal(lin.weight.dtype, "float32");
  assert.equal(isAutocastEnabled(), false);
});

test("functional matmul-like ops called directly compute in float16 under autocast", async () => {
  manualSeed(4);
  const [a, b, w, bias] = [randn([2, 3, 4]), randn([2, 4, 5]), randn([5, 4]), randn([5])];
  const [img, kernel] = [randn([1, 2, 6, 6]), randn([3, 2, 3, 3])];
  const [seq, kernel1d, up] = [randn([1, 2, 7]), randn([3, 2, 3]), randn([2, 3, 2, 2])];
  const [q, k, v] = [randn([2, 3, 4]), randn([2, 5, 4]), randn([2, 5, 4])];
  const half = (t: Tensor) => t.cast("float16");
  const cases: [string, () => Tensor, () => Tensor][] = [
    ["matmul", () => matmul(a, b), () => matmul(half(a), half(b))],
    ["bmm", () => bmm(a, b), () => bmm(half(a), half(b))],
    ["linear", () => linear(a, w, bias), () => linear(half(a), half(w), half(bias))],
    ["conv2d", () => conv2d(img, kernel, undefined, { padding: 1 }), () => conv2d(half(img), half(kernel), undefined, { padding: 1 })],
    ["conv1d", () => conv1d(seq, kernel1d), () => conv1d(half(seq), half(kernel1d))],
    ["convTranspose2d", () => convTranspose2d(img, up), () => convTranspose2d(half(img), half(up))],
    [
      "scaledDotProductAttention",
      () => scaledDotProductAttention(q, k, v, { isCausal: true }),
      () => scaledDotProductAttention(half(q), half(k), half(v), { isCausal: true }),
    ],
  ];
  for (const [name, call, byHand] of cases) {
    const mixed = noGrad(() => autocast(call));
    assert.equal(mixed.dtype, "float16", name);
    assert.deepEqual(await values(mixed), await values(noGrad(byHand)), `${name}: the float16 inputs, computed in float16`);
    assert.equal(noGrad(call).dtype, "float32", `${name} outside autocast`);
  }
});

test("reductions, softmax and normalisation compute float16 inputs in float32 under autocast", async () => {
  manualSeed(5);
  const x = randn([3, 6]).cast("float16");
  const wide = x.cast("float32");
  const cases: [string, (t: Tensor) => Tensor][] = [
    ["sum", (t) => sum(t, 1)],
    ["prod", (t) => prod(t, 0)],
    ["cumsum", (t) => cumsum(t, 1)],
    ["norm", (t) => norm(t, 2, 1)],
    ["exp", (t) => exp(t)],
    ["softmax", (t) => softmax(t, -1)],
    ["logSoftmax", (t) => logSoftmax(t, -1)],
    ["layerNorm", (t) => layerNorm(t, [6])],
    ["groupNorm", (t) => groupNorm(t.reshape([3, 6, 1]), 2)],
  ];
  for (const [name, op] of cases) {
    const mixed = autocast(() => op(x));
    assert.equal(mixed.dtype, "float32", name);
    assert.deepEqual(await values(mixed), await values(op(wide)), `${name}: computed in float32`);
    assert.equal(op(x).dtype, "float16", `${name} outside autocast keeps float16`);
  }
});

test("losses compute in float32 under autocast, and binaryCrossEntropy is refused as in torch", async () => {
  manualSeed(6);
  const logits = randn([4, 3]).cast("float16");
  const target = tensor(Int32Array.from([0, 2, 1, 2]));
  const mixed = autocast(() => crossEntropy(logits, target));
  assert.equal(mixed.dtype, "float32");
  assert.deepEqual(await values(mixed), await values(crossEntropy(logits.cast("float32"), target)));
  const goal = randn([4, 3]);
  assert.equal(autocast(() => mseLoss(logits, goal)).dtype, "float32");
  assert.equal(autocast(() => binaryCrossEntropyWithLogits(logits, goal.sigmoid())).dtype, "float32");
  assert.throws(
    () => autocast(() => binaryCrossEntropy(logits.sigmoid(), goal.sigmoid())),
    /binaryCrossEntropy is unsafe to autocast.*binaryCrossEntropyWithLogits/,
  );
});

test("ops on neither list keep their dtypes, and mixed float16/float32 promote to float32 (add, cat, stack)", async () => {
  const h = randn([2, 2]).cast("float16");
  const f = randn([2, 2]);
  assert.equal(autocast(() => relu(h)).dtype, "float16");
  assert.equal(autocast(() => add(h, f)).dtype, "float32");
  const joined = autocast(() => cat([h, f], 1));
  assert.equal(joined.dtype, "float32");
  assert.deepEqual(await values(joined), await values(cat([h.cast("float32"), f], 1)));
  assert.equal(stack([f, h]).dtype, "float32");
});

test("backward inside autocast gives the same float32 gradients as outside (backward is never autocast)", async () => {
  manualSeed(7);
  const lin = new nn.Linear(4, 2);
  const x = randn([3, 4]);
  autocast(() => sum(lin.call(x)).backward());
  const inside = await values(lin.weight.grad!);
  lin.weight.grad = null;
  sum(autocast(() => lin.call(x))).backward();
  assert.equal(lin.weight.grad!.dtype, "float32");
  assert.deepEqual(await values(lin.weight.grad!), inside);
});

test("gradients flow through autocast's casts into the float32 master weights", async () => {
  const conv = new nn.Conv2d(1, 2, 3);
  sum(autocast(() => conv.call(randn([1, 1, 5, 5])))).backward();
  assert.equal(conv.weight.grad!.dtype, "float32");
  assert.deepEqual(conv.weight.grad!.shape, [2, 1, 3, 3]);
});

test("GradScaler skips a step whose scaled gradients overflow and backs the scale off", async () => {
  const w = nn.parameter(tensor([1, 2]));
  const opt = new optim.SGD([w], { lr: 0.1 });
  const scaler = new optim.GradScaler({ initScale: 3e38 });
  scaler.scale(mseLoss(w, tensor([5, -5]))).backward();
  assert.equal(await scaler.step(opt), false);
  scaler.update();
  assert.deepEqual(Array.from(await w.data()), [1, 2]);
  assert.equal(scaler.getScale(), 1.5e38);
});

test("GradScaler steps with the unscaled gradients and grows the scale after growthInterval clean steps", async () => {
  const w = nn.parameter(tensor([1, 2]));
  const opt = new optim.SGD([w], { lr: 0.1 });
  const scaler = new optim.GradScaler({ initScale: 1024, growthInterval: 1 });
  scaler.scale(mseLoss(w, tensor([5, -5]))).backward();
  await scaler.unscale_(opt);
  assert.deepEqual(Array.from(await w.grad!.data()), [-4, 7], "d/dw mean((w - t)^2) = (w - t)");
  assert.equal(await scaler.step(opt), true);
  scaler.update();
  assert.deepEqual(
    Array.from(await w.data()).map((v) => +v.toFixed(5)),
    [1.4, 1.3],
  );
  assert.equal(scaler.getScale(), 2048);
  assert.throws(() => new optim.GradScaler({ backoffFactor: 2 }), /backoffFactor in \(0, 1\)/);
});
