import { test } from "node:test";
import assert from "node:assert/strict";
import { idsBeyond, thinMetrics } from "./run-history.ts";

const points = (n: number) => Array.from({ length: n }, (_, step) => ({ step, time: step, values: { loss: 1 / (step + 1) } }));

test("a long run is thinned evenly, keeping its first and last step", () => {
  const thin = thinMetrics(points(10_001), 101);
  assert.equal(thin.length, 101);
  assert.equal(thin[0]!.step, 0);
  assert.equal(thin[50]!.step, 5000);
  assert.equal(thin[100]!.step, 10_000);
});

test("a short run is kept whole", () => {
  assert.equal(thinMetrics(points(5)).length, 5);
});

test("only the newest runs are kept", () => {
  assert.deepEqual(idsBeyond([5, 1, 4, 2, 3], 3), [2, 1]);
  assert.deepEqual(idsBeyond([1, 2], 3), []);
});
