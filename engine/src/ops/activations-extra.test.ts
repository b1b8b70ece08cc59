import assert from "node:assert/strict";
import { test } from "node:test";
import { glu, hardtanh, nn, prelu, randn, setDefaultDevice, softmax, sum, tensor } from "../index.ts";

setDefaultDevice("cpu");

test("glu refuses an odd dim, naming the dim and the shape, as torch", () => {
  assert.throws(() => glu(randn([2, 5])), /glu: dim -1 of input \[2, 5\] has odd size 5; it must split into two halves/);
  assert.throws(() => new nn.GLU(0).call(randn([3, 4])), /glu: dim 0 of input \[3, 4\] has odd size 3/);
});

test("prelu refuses a weight that is neither one slope nor one per channel", () => {
  assert.throws(
    () => prelu(randn([2, 3, 4]), tensor([0.1, 0.2])),
    /prelu: weight \[2\] must hold 1 slope or one per channel \(3 on dim 1 of input \[2, 3, 4\]\)/,
  );
  assert.throws(() => prelu(randn([4]), tensor([0.1, 0.2, 0.3, 0.4])), /1 slope or one per channel \(1 on dim 1/);
});

test("hardtanh refuses min above max", () => {
  assert.throws(() => hardtanh(randn([2]), 1, -1), /hardtanh: minVal 1 must not exceed maxVal -1/);
  assert.throws(() => new nn.Hardtanh(2, 0), /Hardtanh: minVal 2 must not exceed maxVal 0/);
});

test("nn.PReLU learns one slope per channel: its weight is a parameter and gets the negative inputs' gradient", async () => {
  const layer = new nn.PReLU(2, 0.5);
  assert.deepEqual(
    layer.namedParameters().map(([n, p]) => [n, p.shape]),
    [["weight", [2]]],
  );
  const x = tensor([[[-2, 1]], [[3, -4]]]).reshape([1, 2, 2]); // channel 0: [-2, 1], channel 1: [3, -4]
  const y = layer.call(x);
  assert.deepEqual(Array.from(await y.data()), [-1, 1, 3, -2]);
  sum(y).backward();
  assert.deepEqual(Array.from(await layer.weight.grad!.data()), [-2, -4]);
});

test("activation modules call their functions with the constructor's arguments", async () => {
  const x = tensor([-2, -0.5, 0, 0.5, 2]);
  const read = async (m: nn.Module) => Array.from(await m.call(x).data()).map((v) => Math.round(v * 1e4) / 1e4);
  assert.deepEqual(await read(new nn.LeakyReLU(0.1)), [-0.2, -0.05, 0, 0.5, 2]);
  assert.deepEqual(await read(new nn.ReLU6()), [0, 0, 0, 0.5, 2]);
  assert.deepEqual(await read(new nn.Hardtanh(-1, 1)), [-1, -0.5, 0, 0.5, 1]);
  assert.deepEqual(await read(new nn.Softsign()), [-0.6667, -0.3333, 0, 0.3333, 0.6667]);
  assert.deepEqual(
    await read(new nn.Softmax(0)),
    Array.from(await softmax(x, 0).data()).map((v) => Math.round(v * 1e4) / 1e4),
  );
  assert.deepEqual(await read(new nn.Softmin(0)), (await read(new nn.Softmax(0))).reverse());
});
