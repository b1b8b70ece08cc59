import assert from "node:assert/strict";
import { test } from "node:test";
import { FULL_SAMPLING, runsWanted, wantsAnotherRun } from "./sampling.ts";

test("a fast job gets the full warm-up and minimum runs", () => {
  assert.deepEqual(runsWanted(FULL_SAMPLING, 5), { warmup: FULL_SAMPLING.warmupRuns, min: FULL_SAMPLING.minRuns });
});

test("a slow job gets one warm-up and three runs", () => {
  assert.deepEqual(runsWanted(FULL_SAMPLING, 10_000), { warmup: 1, min: 3 });
});

test("a job too slow for three runs within maxJobSeconds gets what fits, at least one", () => {
  assert.equal(runsWanted(FULL_SAMPLING, 60_000).min, 2);
  assert.equal(runsWanted(FULL_SAMPLING, 400_000).min, 1);
});

test("runs continue past the minimum until the time budget or the maximum", () => {
  assert.equal(wantsAnotherRun(FULL_SAMPLING, 5, [1, 1, 1, 1, 1]), true);
  assert.equal(wantsAnotherRun(FULL_SAMPLING, 5, [1000, 1000, 1000, 1000, 1000]), false);
  assert.equal(wantsAnotherRun(FULL_SAMPLING, 5, new Array(FULL_SAMPLING.maxRuns).fill(0.1)), false);
});
