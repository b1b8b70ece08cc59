import assert from "node:assert/strict";
import { test } from "node:test";
import { runOp, t } from "../testing.ts";

const seq = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 1.5);
const addRelu = {
  program: JSON.stringify([
    { op: "add", args: [0, 1] },
    { op: "relu", args: [2] },
  ]),
  outputs: [3],
  baseInputs: 2,
};

test("a 1x1 channels-last conv with a bias and relu epilogue equals conv2dNhwc, then the bias and relu", () => {
  const [n, h, w, c, oc] = [2, 5, 3, 8, 12];
  const x = t(seq(n * h * w * c, 1), [n, h, w, c]);
  const weight = t(seq(oc * c, 2), [oc, c, 1, 1]);
  const bias = seq(oc, 3);
  const [plain] = runOp("conv2dNhwc", [x, weight]);
  const want = Array.from(plain!.values, (v, i) => Math.max(0, Math.fround(v + bias[i % oc]!)));
  const [got] = runOp("conv2dNhwcEpilogue", [x, weight, t(bias, [1, 1, 1, oc])], addRelu);
  assert.deepEqual(got!.shape, [n, h, w, oc]);
  got!.values.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)), `[${i}] ${v} vs ${want[i]}`));
});

test("a residual, a per-channel scale and a 3x3 conv's epilogue each match the unfused ops", () => {
  const [n, h, w, c, oc] = [1, 4, 6, 8, 8];
  const x = t(seq(n * h * w * c, 1), [n, h, w, c]);
  const residual = seq(n * h * w * oc, 4);
  const scale = seq(oc, 5);
  const program = {
    program: JSON.stringify([
      { op: "mul", args: [0, 2] },
      { op: "add", args: [3, 1] },
    ]),
    outputs: [4],
    baseInputs: 2,
  };
  for (const k of [1, 3]) {
    const weight = t(seq(oc * c * k * k, 2), [oc, c, k, k]);
    const attrs = { ...program, pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0] };
    const [plain] = runOp("conv2dNhwc", [x, weight], { pads: attrs.pads });
    const want = Array.from(plain!.values, (v, i) => Math.fround(Math.fround(v * scale[i % oc]!) + residual[i]!));
    const [got] = runOp("conv2dNhwcEpilogue", [x, weight, t(residual, [n, h, w, oc]), t(scale, [oc])], attrs);
    got!.values.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)), `k=${k} [${i}] ${v} vs ${want[i]}`));
  }
});
