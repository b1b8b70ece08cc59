import assert from "node:assert/strict";
import { test } from "node:test";
import { gflops, relativeDifference, summarize } from "./stats.ts";

test("summarize takes the middle sample of an odd count, with min and max", () => {
  assert.deepEqual(summarize([5, 1, 3]), { median: 3, min: 1, max: 5, runs: 3 });
});

test("summarize averages the two middle samples of an even count", () => {
  assert.equal(summarize([4, 1, 3, 10]).median, 3.5);
});

test("summarize refuses an empty sample", () => {
  assert.throws(() => summarize([]), RangeError);
});

test("gflops divides operations by milliseconds", () => {
  assert.equal(gflops(2e9, 100), 20);
});

test("relativeDifference scales the largest gap by the reference's largest value", () => {
  assert.equal(relativeDifference(Float32Array.of(1, 2, 4.5), Float32Array.of(1, 2, 4)), 0.5 / 4);
  assert.equal(relativeDifference(Float32Array.of(1), Float32Array.of(1, 2)), Infinity);
});
