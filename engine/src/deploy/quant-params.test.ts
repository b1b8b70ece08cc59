import assert from "node:assert/strict";
import { test } from "node:test";
import { activationParams, quantizeBias, quantizeWeightsPerChannel, roundHalfEven } from "./quant-params.ts";

test("activation parameters are uint8 asymmetric: a ReLU output [0, max] gets zero point 0", () => {
  const relu = activationParams({ min: 0, max: 2.55 });
  assert.equal(relu.zeroPoint, 0);
  assert.equal(relu.scale, Math.fround(0.01));
  const lopsided = activationParams({ min: -0.8, max: 2.0 });
  assert.equal(lopsided.zeroPoint, Math.round(0.8 / lopsided.scale));
  assert.ok(Math.abs((0 - lopsided.zeroPoint) * lopsided.scale + 0.8) < lopsided.scale, "the range's low end is representable");
});

test("a range that excludes 0 is widened to include it, and an empty range gets scale 1", () => {
  assert.equal(activationParams({ min: 1, max: 3 }).zeroPoint, 0);
  assert.equal(activationParams({ min: 1, max: 3 }).scale, Math.fround(3 / 255));
  assert.equal(activationParams({ min: -3, max: -1 }).zeroPoint, 255);
  assert.deepEqual(activationParams({ min: 0, max: 0 }), { scale: 1, zeroPoint: 0 });
});

test("weights are int8 symmetric per output channel: each channel's largest magnitude maps to ±127", () => {
  const { values, scales } = quantizeWeightsPerChannel([0.5, -1, 0.25, 0.02, 0.01, -0.005], [2, 3]);
  assert.deepEqual(Array.from(scales), [Math.fround(1 / 127), Math.fround(0.02 / 127)]);
  assert.deepEqual(Array.from(values), [64, -127, 32, 127, 64, -32]);
  const zero = quantizeWeightsPerChannel([0, 0], [1, 2]);
  assert.deepEqual(Array.from(zero.scales), [1], "an all-zero channel keeps a usable scale");
});

test("the bias becomes the int32 the accumulator adds: bias / (inputScale · weightScale[c])", () => {
  const bias = quantizeBias([0.5, -0.25], 0.01, Float32Array.of(0.1, 0.5));
  assert.deepEqual(Array.from(bias), [500, -50]);
});

test("rounding is half to even, as the HAL's quantizeLinear does", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven), [0, 2, 2, -0, -2, -2, 2, -3]);
});
