import assert from "node:assert/strict";
import { test } from "node:test";
import { manualSeed, matmul, nn, setDefaultDevice, transpose, type Tensor } from "../index.ts";

setDefaultDevice("cpu");
manualSeed(3);

const { init } = nn;
const stats = async (t: Tensor) => {
  const v = Array.from(await t.data());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
};

test("initialisers overwrite a layer's own parameter tensor in place", async () => {
  const lin = new nn.Linear(4, 3);
  const w = lin.weight;
  assert.equal(init.zeros_(w), w);
  assert.equal(lin.weight, w);
  assert.deepEqual(Array.from(await w.data()), new Array(12).fill(0));
  init.constant_(lin.bias!, 0.5);
  assert.deepEqual(Array.from(await lin.bias!.data()), [0.5, 0.5, 0.5]);
  assert.ok(w.requiresGrad && w.isParameter && !w.gradFn);
});

test("kaimingUniform_ draws within gain*sqrt(3/fanIn), the bound torch uses", async () => {
  const w = nn.parameter(init.uniform([200, 50, 3, 3], 1));
  init.kaimingUniform_(w, { nonlinearity: "relu" });
  const bound = Math.SQRT2 * Math.sqrt(3 / (50 * 9));
  const s = await stats(w);
  assert.ok(s.max <= bound && s.min >= -bound && s.max > 0.95 * bound, JSON.stringify(s));
  assert.ok(Math.abs(s.std - bound / Math.sqrt(3)) < 0.02 * bound);
});

test("kaimingNormal_ (fanOut) and xavierNormal_ have torch's standard deviations", async () => {
  const w = nn.parameter(init.uniform([300, 200], 1));
  init.kaimingNormal_(w, { mode: "fanOut", nonlinearity: "relu" });
  assert.ok(Math.abs((await stats(w)).std - Math.sqrt(2 / 300)) < 0.03 * Math.sqrt(2 / 300));
  init.xavierNormal_(w, 2);
  assert.ok(Math.abs((await stats(w)).std - 2 * Math.sqrt(2 / 500)) < 0.03 * 2 * Math.sqrt(2 / 500));
  init.xavierUniform_(w);
  assert.ok((await stats(w)).max <= Math.sqrt(6 / 500));
});

test("truncNormal_ keeps every value inside [a, b]", async () => {
  const w = nn.parameter(init.uniform([100, 100], 1));
  init.truncNormal_(w, 0, 1, -0.5, 0.5);
  const s = await stats(w);
  assert.ok(s.min >= -0.5 && s.max <= 0.5 && s.std > 0.2, JSON.stringify(s));
});

test("orthogonal_ gives orthonormal rows (wide) and columns (tall), scaled by gain", async () => {
  for (const shape of [
    [3, 8],
    [8, 3],
  ]) {
    const w = nn.parameter(init.uniform(shape, 1));
    init.orthogonal_(w, 2);
    const gram = shape[0]! < shape[1]! ? matmul(w, transpose(w)) : matmul(transpose(w), w);
    const g = Array.from(await gram.data());
    const k = Math.min(...shape);
    g.forEach((v, i) => assert.ok(Math.abs(v - (i % (k + 1) === 0 ? 4 : 0)) < 1e-4, `gram[${i}] = ${v}`));
  }
});

test("fan-based initialisers refuse 1-D tensors; unknown nonlinearities are refused", () => {
  assert.throws(() => init.xavierUniform_(nn.parameter(init.uniform([4], 1))), /at least 2 dims, got \[4\]/);
  assert.throws(() => init.calculateGain("swish" as never), /unsupported nonlinearity "swish"/);
  assert.equal(init.calculateGain("leaky_relu", 0.2), Math.sqrt(2 / 1.04));
});
