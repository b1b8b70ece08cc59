import assert from "node:assert/strict";
import { test } from "node:test";
import { chwColumnsToHwc, nchwToNhwc, nhwcToNchw, oihwToHwio, transpose2d } from "./layouts.ts";

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

test("nchwToNhwc and nhwcToNchw are inverse", () => {
  const x = iota(2 * 3 * 4 * 5);
  assert.deepEqual(nhwcToNchw(nchwToNhwc(x, 2, 3, 4, 5), 2, 4, 5, 3), x);
});

test("oihwToHwio moves element (o, i, y, x) to (y, x, i, o)", () => {
  const w = oihwToHwio({ shape: [2, 3, 2, 2], data: iota(24) });
  assert.deepEqual(w.shape, [2, 2, 3, 2]);
  // (o=1, i=2, y=0, x=1) is at ((1*3+2)*2+0)*2+1 = 21 in OIHW; at ((0*2+1)*3+2)*2+1 = 11 in HWIO.
  assert.equal(w.data[11], 21);
});

test("transpose2d swaps rows and columns", () => {
  assert.deepEqual(transpose2d({ shape: [2, 3], data: iota(6) }).data, Float32Array.of(0, 3, 1, 4, 2, 5));
});

test("chwColumnsToHwc makes an NHWC flatten compute what the NCHW flatten did", () => {
  const [c, h, w] = [2, 2, 3];
  const features = iota(c * h * w).map((v) => v * 0.5 + 1);
  const weight = { shape: [1, c * h * w], data: iota(c * h * w) };
  const nchwDot = features.reduce((s, v, i) => s + v * weight.data[i]!, 0);
  const nhwcFeatures = nchwToNhwc(features, 1, c, h, w);
  const moved = chwColumnsToHwc(weight, c, h, w);
  const nhwcDot = nhwcFeatures.reduce((s, v, i) => s + v * moved.data[i]!, 0);
  assert.equal(nhwcDot, nchwDot);
});
