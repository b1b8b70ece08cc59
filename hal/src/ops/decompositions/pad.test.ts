import assert from "node:assert/strict";
import { test } from "node:test";
import { padSource } from "./pad.ts";

const row = (mode: "reflect" | "edge", begin: number, outSize: number, size: number) =>
  Array.from({ length: outSize }, (_, j) => padSource(mode, j, begin, size));

test("reflect mirrors around the border element without repeating it", () => {
  // [a b c] padded 2 each side: c b | a b c | b a
  assert.deepEqual(row("reflect", 2, 7, 3), [2, 1, 0, 1, 2, 1, 0]);
});

test("reflect keeps mirroring when the pad is wider than the dim (NumPy)", () => {
  assert.deepEqual(row("reflect", 3, 9, 3), [1, 2, 1, 0, 1, 2, 1, 0, 1]);
});

test("reflect of a single element repeats it", () => {
  assert.deepEqual(row("reflect", 2, 4, 1), [0, 0, 0, 0]);
});

test("edge repeats the border element", () => {
  assert.deepEqual(row("edge", 2, 6, 3), [0, 0, 0, 1, 2, 2]);
});

test("a negative begin crops", () => {
  assert.deepEqual(row("edge", -1, 3, 3), [1, 2, 2]);
});
