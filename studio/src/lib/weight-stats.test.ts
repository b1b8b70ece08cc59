import { test } from "node:test";
import assert from "node:assert/strict";
import { weightStats } from "./weight-stats.ts";

test("min, max, mean, population std and a histogram whose bins hold every value", () => {
  const s = weightStats(new Float32Array([-1, 0, 0, 1, 2, 4]), 5);
  assert.deepEqual([s.count, s.min, s.max, s.nonFinite], [6, -1, 4, 0]);
  assert.equal(s.mean, 1);
  assert.ok(Math.abs(s.std - Math.sqrt(16 / 6)) < 1e-12);
  assert.deepEqual(s.histogram, [1, 2, 1, 1, 1]);
});

test("NaN and infinities are counted apart; a constant tensor fills one bin", () => {
  const s = weightStats([3, Number.NaN, 3, Infinity], 4);
  assert.deepEqual([s.count, s.nonFinite, s.min, s.max, s.std], [2, 2, 3, 3, 0]);
  assert.deepEqual(s.histogram, [2, 0, 0, 0]);
  assert.ok(Number.isNaN(weightStats([]).mean));
});

test("int64 weights (bigint) are summarised as numbers", () => {
  assert.equal(weightStats(new BigInt64Array([1n, 3n])).mean, 2);
});
