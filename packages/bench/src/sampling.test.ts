import assert from "node:assert/strict";
import { test } from "node:test";
import { FULL_SAMPLING, runsWanted, wantsAnotherRun, wantsMoreWarmup } from "./sampling.ts";

test("a fast job gets the full warm-up and minimum runs", () => {
  assert.deepEqual(runsWanted(FULL_SAMPLING, 5), { warmup: FULL_SAMPLING.warmupRuns, min: FULL_SAMPLING.minRuns, slow: false });
});

test("a slow job gets one warm-up and three runs", () => {
  assert.deepEqual(runsWanted(FULL_SAMPLING, 10_000), { warmup: 1, min: 3, slow: true });
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

test("a fast job warms up until the warm-up time is spent, within the run cap", () => {
  assert.equal(wantsMoreWarmup(FULL_SAMPLING, 2, 1, 1, false), true, "fewer runs than wanted");
  assert.equal(wantsMoreWarmup(FULL_SAMPLING, 2, 2, 10, false), true, "10 ms is not a warm JIT");
  assert.equal(wantsMoreWarmup(FULL_SAMPLING, 2, 2, FULL_SAMPLING.warmupSeconds * 1000, false), false);
  assert.equal(wantsMoreWarmup(FULL_SAMPLING, 2, FULL_SAMPLING.maxWarmupRuns, 10, false), false);
});

test("a slow job gets only the warm-up runs it was given", () => {
  assert.equal(wantsMoreWarmup(FULL_SAMPLING, 1, 1, 10, true), false);
});
