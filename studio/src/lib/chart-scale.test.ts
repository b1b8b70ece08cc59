import { test } from "node:test";
import assert from "node:assert/strict";
import { logTicks, pointsInRange, scaled, yTicksFor } from "./chart-scale.ts";

test("log ticks are 1-2-5 per decade over narrow ranges and powers of ten over wide ones", () => {
  assert.deepEqual(logTicks(0.03, 1), [0.05, 0.1, 0.2, 0.5, 1]);
  assert.deepEqual(logTicks(1e-5, 1), [1e-5, 1e-4, 0.001, 0.01, 0.1, 1]);
  assert.deepEqual(logTicks(3, 4), [3, 4]);
});

test("a log scale leaves out values at or below zero; linear keeps nice ticks", () => {
  assert.deepEqual(yTicksFor([0, -1, 0.1, 1], "log"), [0.1, 0.2, 0.5, 1]);
  assert.deepEqual(yTicksFor([0, 1], "linear"), [0, 0.5, 1]);
  assert.ok(Number.isNaN(scaled(0, "log")));
  assert.equal(scaled(100, "log"), 2);
});

test("a zoomed range keeps its points and one neighbour on each side", () => {
  const pts: [number, number][] = [0, 1, 2, 3, 4, 5].map((x) => [x, x * 10]);
  assert.deepEqual(
    pointsInRange(pts, [1.5, 3.5]).map((p) => p[0]),
    [1, 2, 3, 4],
  );
  assert.equal(pointsInRange(pts, undefined).length, 6);
  assert.deepEqual(pointsInRange(pts, [9, 10]), [[5, 50]]);
});
