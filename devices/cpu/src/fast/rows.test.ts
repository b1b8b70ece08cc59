import assert from "node:assert/strict";
import { test } from "node:test";
import { contiguousStrides } from "@polychip/hal";
import { planRows } from "./rows.ts";

const contiguous = (shape: number[]) => ({ shape, strides: contiguousStrides(shape) });

test("a contiguous output is one run, cut into rows of at most 16384 elements", () => {
  const plan = planRows([1, 192, 49], [contiguous([1, 192, 49])])!;
  assert.deepEqual([plan.rows, plan.rowLen], [1, 9408]);
  assert.deepEqual([planRows([40000], [contiguous([40000])])!.rows, planRows([40000], [contiguous([40000])])!.rowLen], [3, 16384]);
});

test("minRows cuts one run into that many rows or more, each a whole number of vectors, with each input's row offsets", () => {
  const plan = planRows([1, 192, 49], [contiguous([1, 192, 49]), contiguous([1])], 4)!;
  assert.deepEqual([plan.rows, plan.rowLen, plan.total], [4, 2352, 9408]);
  assert.deepEqual([...plan.offsets], [0, 0, 2352, 0, 4704, 0, 7056, 0]);
  const tiny = planRows([13], [contiguous([13])], 8)!;
  assert.deepEqual([tiny.rows, tiny.rowLen], [4, 4], "rows of at least 4 elements");
});

test("minRows leaves a walk of several dims as its rows, and a transposed input still has no plan", () => {
  const broadcast = planRows([8, 100], [contiguous([8, 100]), contiguous([8, 1])], 32)!;
  assert.deepEqual([broadcast.rows, broadcast.rowLen], [8, 100]);
  assert.equal(planRows([8, 100], [{ shape: [8, 100], strides: [1, 8] }], 4), undefined);
});
