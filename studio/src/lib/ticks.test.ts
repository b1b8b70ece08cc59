import { test } from "node:test";
import assert from "node:assert/strict";
import { formatBytes, niceTicks } from "./ticks.ts";

test("ticks step by 1, 2 or 5 times a power of ten", () => {
  assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(0.13, 0.61, 4), [0.2, 0.4, 0.6]);
});

test("a flat series still gets ticks around its value", () => {
  assert.ok(niceTicks(2, 2).length >= 2);
});

test("a range only a rounding error wide is treated as flat (no endless tick loop)", () => {
  const ticks = niceTicks(0.0625, 0.06250000000000001, 4);
  assert.ok(ticks.length >= 2 && ticks.length <= 10, `ticks: ${ticks.join(", ")}`);
  assert.ok(ticks[0]! <= 0.0625 && ticks[ticks.length - 1]! >= 0.0625);
});

test("ticks are bounded even for extreme ranges", () => {
  assert.ok(niceTicks(-1e300, 1e300, 5).length <= 12);
  assert.ok(niceTicks(1e15, 1e15 + 3, 5).length <= 12);
});

test("bytes print briefly", () => {
  assert.equal(formatBytes(3 * 1024 * 1024), "3.0 MiB");
});
