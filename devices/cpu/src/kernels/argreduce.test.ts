import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { run, runOp, t } from "../testing.ts";

test("argMax and argMin along an axis give int32 indices", () => {
  const x = t([3, 1, 4, 1, 5, 9], [2, 3]);
  const r = runOp("argMax", [x], { axis: 1 })[0]!;
  assert.equal(r.dtype, "int32");
  assert.deepEqual(r.shape, [2]);
  assert.deepEqual([...r.values], [2, 2]);
  assert.deepEqual(run("argMin", [x], { axis: 0 }), [1, 0, 0]);
  assert.deepEqual(runOp("argMin", [x], { axis: -1, keepDims: true })[0]!.shape, [2, 1]);
});

test("ties go to the first index, or the last with selectLastIndex", () => {
  const x = t([2, 7, 7, 1, 1], [5]);
  assert.deepEqual(run("argMax", [x], { axis: 0 }), [1]);
  assert.deepEqual(run("argMax", [x], { axis: 0, selectLastIndex: true }), [2]);
  assert.deepEqual(run("argMin", [x], { axis: 0 }), [3]);
  assert.deepEqual(run("argMin", [x], { axis: 0, selectLastIndex: true }), [4]);
});

test("NaN counts as the extreme for both argMax and argMin", () => {
  const x = t([1, NaN, 5, NaN], [4]);
  assert.deepEqual(run("argMax", [x], { axis: 0 }), [1]);
  assert.deepEqual(run("argMin", [x], { axis: 0 }), [1]);
  assert.deepEqual(run("argMax", [x], { axis: 0, selectLastIndex: true }), [3]);
  assert.deepEqual(run("argMax", [t([NaN, 2], [2])], { axis: 0 }), [0]);
});

test("argMax works on integers and strided views", () => {
  assert.deepEqual(run("argMax", [t([-5, -2, -9], [3], "int8")], { axis: 0 }), [1]);
  // Columns of a transposed view: [[1,4],[2,5],[3,6]] along axis 0.
  assert.deepEqual(run("argMax", [t([1, 2, 3, 4, 5, 6], [3, 2], "float32", { strides: [1, 3] })], { axis: 0 }), [2, 2]);
});

test("an empty reduced dimension is refused", () => {
  assert.throws(() => run("argMax", [t([], [2, 0])], { axis: 1 }), ShapeError);
});
