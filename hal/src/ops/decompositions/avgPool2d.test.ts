import assert from "node:assert/strict";
import { test } from "node:test";
import { windowCounts } from "./avgPool2d.ts";
import { poolGeometry } from "./pool2d.ts";

const counts = (attrs: Record<string, number[] | boolean>, h: number, w: number, include: boolean) =>
  Array.from(windowCounts(poolGeometry("avgPool2d", [1, 1, h, w], attrs), include));

test("without countIncludePad a window counts only the taps inside the input", () => {
  assert.deepEqual(counts({ kernel: [1, 3], pads: [0, 1, 0, 1] }, 1, 4, false), [2, 3, 3, 2]);
});

test("with countIncludePad a window counts its padding taps too", () => {
  assert.deepEqual(counts({ kernel: [1, 3], pads: [0, 1, 0, 1] }, 1, 4, true), [3, 3, 3, 3]);
});

test("with countIncludePad a ceilMode window does not count taps beyond the padding", () => {
  // 1x6, kernel 3, stride 2, pads 1, ceil: windows start at -1, 1, 3, 5; the last covers 5 (input), 6 (pad), 7 (beyond).
  const attrs = { kernel: [1, 3], strides: [1, 2], pads: [0, 1, 0, 1], ceilMode: true };
  assert.deepEqual(counts(attrs, 1, 6, true), [3, 3, 3, 2]);
  assert.deepEqual(counts(attrs, 1, 6, false), [2, 3, 3, 1]);
});

test("counts multiply over rows and columns", () => {
  assert.deepEqual(counts({ kernel: [2, 2], pads: [1, 1, 0, 0] }, 2, 2, false), [1, 2, 2, 4]);
});

test("a window made only of padding gets an infinite divisor, so it averages to 0", () => {
  // 1x2 input, kernel 1x1, left pad 1: the first window reads only padding.
  assert.deepEqual(counts({ kernel: [1, 1], pads: [0, 1, 0, 0] }, 1, 2, false), [Infinity, 1, 1]);
});
