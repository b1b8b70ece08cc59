import assert from "node:assert/strict";
import { test } from "node:test";
import { autocast, isAutocastEnabled, linear, manualSeed, mseLoss, nn, noGrad, optim, randn, setDefaultDevice, sum, tensor } from "../index.ts";

setDefaultDevice("cpu");

test("inside autocast a Linear computes in float16 from its float32 weights and returns float32", async () => {
  manualSeed(2);
  const lin = new nn.Linear(16, 4);
  const x = randn([3, 16]);
  const full = Array.from(await noGrad(() => lin.call(x)).data());
  const mixed = noGrad(() => autocast(() => lin.call(x)));
  const byHand = noGrad(() => linear(x.cast("float16"), lin.weight.cast("float16"), lin.bias!.cast("float16")).cast("float32"));
  assert.equal(mixed.dtype, "float32");
  assert.deepEqual(Array.from(await mixed.data()), Array.from(await byHand.data()));
  assert.notDeepEqual(Array.from(await mixed.data()), full, "float16 rounding shows");
  assert.equal(lin.weight.dtype, "float32");
  assert.equal(isAutocastEnabled(), false);
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
