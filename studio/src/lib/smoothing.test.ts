import { test } from "node:test";
import assert from "node:assert/strict";
import { smooth } from "./smoothing.ts";

test("weight 0 leaves the series as it is", () => {
  assert.deepEqual(smooth([3, 1, 2], 0), [3, 1, 2]);
});

test("the first point is not pulled toward zero (debiased)", () => {
  const out = smooth([5, 5, 5], 0.9);
  out.forEach((v) => assert.ok(Math.abs(v - 5) < 1e-12));
});

test("smoothing damps a spike", () => {
  const out = smooth([1, 1, 1, 10, 1], 0.6);
  assert.ok(out[3]! < 10 && out[3]! > 1);
  assert.ok(out[4]! > 1);
});
