import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { run, runOp, t } from "../testing.ts";

const m = t([1, 2, 3, 4, 5, 6], [2, 3]);

test("reduceSum over all axes, one axis, and with keepDims", () => {
  assert.deepEqual(runOp("reduceSum", [m])[0]!.shape, []);
  assert.deepEqual(run("reduceSum", [m]), [21]);
  assert.deepEqual(run("reduceSum", [m], { axes: [0] }), [5, 7, 9]);
  const r = runOp("reduceSum", [m], { axes: [-1], keepDims: true })[0]!;
  assert.deepEqual(r.shape, [2, 1]);
  assert.deepEqual([...r.values], [6, 15]);
});

test("reduce over non-adjacent axes of a 3-D tensor", () => {
  const x = t([...Array(12).keys()], [2, 3, 2]);
  assert.deepEqual(run("reduceSum", [x], { axes: [0, 2] }), [0 + 1 + 6 + 7, 2 + 3 + 8 + 9, 4 + 5 + 10 + 11]);
  assert.deepEqual(run("reduceMax", [x], { axes: [1] }), [4, 5, 10, 11]);
});

test("reduceProd, reduceMax, reduceMin", () => {
  assert.deepEqual(run("reduceProd", [m], { axes: [1] }), [6, 120]);
  assert.deepEqual(run("reduceMax", [m], { axes: [0] }), [4, 5, 6]);
  assert.deepEqual(run("reduceMin", [m], { axes: [1] }), [1, 4]);
});

test("empty reductions: sum is 0 and prod is 1", () => {
  const e = t([], [2, 0]);
  assert.deepEqual(run("reduceSum", [e], { axes: [1] }), [0, 0]);
  assert.deepEqual(run("reduceProd", [e], { axes: [1] }), [1, 1]);
  assert.deepEqual(run("reduceSum", [e], { axes: [0] }), []);
});

test("max/min of an empty dimension is refused", () => {
  assert.throws(() => run("reduceMax", [t([], [0])]), ShapeError);
});

test("reduceMax and reduceMin propagate NaN", () => {
  const x = t([1, NaN, 3, 4], [2, 2]);
  assert.deepEqual(run("reduceMax", [x], { axes: [1] }), [NaN, 4]);
  assert.deepEqual(run("reduceMin", [x], { axes: [1] }), [NaN, 3]);
  assert.deepEqual(run("reduceSum", [x], { axes: [1] }), [NaN, 7]);
});

test("integer sums and products wrap at the dtype's width", () => {
  assert.deepEqual(run("reduceSum", [t([2147483647, 1], [2], "int32")]), [-2147483648]);
  assert.deepEqual(run("reduceProd", [t([65536, 65536, 3], [3], "int32")]), [0]);
  assert.deepEqual(run("reduceSum", [t([100, 100], [2], "int8")]), [-56]);
});

test("float sums accumulate in float64 before rounding once", () => {
  const values = [1, ...Array(1000).fill(1e-8)];
  assert.deepEqual(run("reduceSum", [t(values, [1001])]), [Math.fround(1 + 1e-5)]);
});

test("float16 reductions round the result to half precision", () => {
  assert.deepEqual(run("reduceSum", [t([1000, 1000, 0.5], [3], "float16")]), [2000]);
});

test("reductions read strided and broadcast views", () => {
  // Transposed view of m: [[1,4],[2,5],[3,6]].
  assert.deepEqual(run("reduceSum", [t([1, 2, 3, 4, 5, 6], [3, 2], "float32", { strides: [1, 3] })], { axes: [1] }), [5, 7, 9]);
  assert.deepEqual(run("reduceSum", [t([2], [3, 4], "float32", { strides: [0, 0] })]), [24]);
});
