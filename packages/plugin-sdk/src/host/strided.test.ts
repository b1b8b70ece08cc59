import assert from "node:assert/strict";
import { test } from "node:test";
import { broadcastOffsets, elementOffsets, forEachIndex } from "./strided.ts";

test("contiguous offsets count up from the view's offset", () => {
  assert.deepEqual([...elementOffsets([2, 3], [3, 1], 5)], [5, 6, 7, 8, 9, 10]);
});

test("a transposed view walks the buffer column by column", () => {
  assert.deepEqual([...elementOffsets([3, 2], [1, 3], 0)], [0, 3, 1, 4, 2, 5]);
});

test("stride 0 repeats, a scalar has one offset, an empty shape none", () => {
  assert.deepEqual([...elementOffsets([2, 2], [0, 1], 0)], [0, 1, 0, 1]);
  assert.deepEqual([...elementOffsets([], [], 7)], [7]);
  assert.deepEqual([...elementOffsets([3, 0], [0, 1], 0)], []);
});

test("broadcastOffsets reads a [3] view as [2, 3]", () => {
  assert.deepEqual([...broadcastOffsets({ shape: [3], strides: [1], offset: 1 }, [2, 3])], [1, 2, 3, 1, 2, 3]);
});

test("forEachIndex visits indices in row-major order", () => {
  const seen: string[] = [];
  forEachIndex([2, 2], (index, flat) => seen.push(`${flat}:${index.join(",")}`));
  assert.deepEqual(seen, ["0:0,0", "1:0,1", "2:1,0", "3:1,1"]);
});
