import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError, DTypeError } from "@polychip/hal";
import { run, runOp, t } from "../testing.ts";

test("add, sub, mul, div on float32", () => {
  const a = t([1, 2, 3], [3]);
  const b = t([4, -5, 0.5], [3]);
  assert.deepEqual(run("add", [a, b]), [5, -3, 3.5]);
  assert.deepEqual(run("sub", [a, b]), [-3, 7, 2.5]);
  assert.deepEqual(run("mul", [a, b]), [4, -10, 1.5]);
  assert.deepEqual(run("div", [a, b]), [0.25, Math.fround(-0.4), 6]);
});

test("results round to float32", () => {
  assert.deepEqual(run("add", [t([1], [1]), t([1e-8], [1])]), [1]);
  assert.deepEqual(run("div", [t([1], [1]), t([3], [1])]), [Math.fround(1 / 3)]);
});

test("broadcasting follows NumPy rules on both sides", () => {
  const col = t([1, 2], [2, 1]);
  const row = t([10, 20, 30], [3]);
  const r = runOp("add", [col, row])[0]!;
  assert.deepEqual(r.shape, [2, 3]);
  assert.deepEqual([...r.values], [11, 21, 31, 12, 22, 32]);
  assert.deepEqual(run("sub", [t([5], []), t([1, 2], [2])]), [4, 3]);
  assert.deepEqual(run("sub", [t([1, 2], [2]), t([5], [1, 1])]), [-4, -3]);
});

test("inputs may be strided views", () => {
  // Column 1 of a 3x2 matrix (stride 2, offset 1) times a transposed view.
  const a = t([0, 1, 0, 2, 0, 3], [3], "float32", { strides: [2], offset: 1 });
  const b = t([10, 20, 30], [3], "float32", { strides: [1] });
  assert.deepEqual(run("mul", [a, b]), [10, 40, 90]);
  const at = t([1, 2, 3, 4], [2, 2], "float32", { strides: [1, 2] });
  assert.deepEqual(run("add", [at, t([0, 0, 0, 0], [2, 2])]), [1, 3, 2, 4]);
});

test("incompatible shapes and mixed dtypes are refused", () => {
  assert.throws(() => run("add", [t([1, 2], [2]), t([1, 2, 3], [3])]), ShapeError);
  assert.throws(() => run("add", [t([1], [1]), t([1], [1], "int32")]), DTypeError);
});

test("float division by zero gives infinities and NaN", () => {
  assert.deepEqual(run("div", [t([1, -1, 0], [3]), t([0, 0, 0], [3])]), [Infinity, -Infinity, NaN]);
});

test("integer div truncates toward zero and x/0 is 0", () => {
  assert.deepEqual(run("div", [t([7, -7, 7, -7, 5], [5], "int32"), t([2, 2, -2, -2, 0], [5], "int32")]), [3, -3, -3, 3, 0]);
  assert.deepEqual(run("div", [t([-2147483648], [1], "int32"), t([-1], [1], "int32")]), [-2147483648]);
});

test("int32 add and mul wrap on overflow", () => {
  assert.deepEqual(run("add", [t([2147483647], [1], "int32"), t([1], [1], "int32")]), [-2147483648]);
  assert.deepEqual(run("mul", [t([65536], [1], "int32"), t([65537], [1], "int32")]), [65536]);
});

test("int8 and uint8 arithmetic wraps", () => {
  assert.deepEqual(run("add", [t([127, -128], [2], "int8"), t([1, -1], [2], "int8")]), [-128, 127]);
  assert.deepEqual(run("sub", [t([3], [1], "uint8"), t([5], [1], "uint8")]), [254]);
  assert.deepEqual(run("mul", [t([16], [1], "uint8"), t([17], [1], "uint8")]), [16]);
});

test("mod is floor modulo with the divisor's sign; fmod keeps the dividend's", () => {
  const a = t([5, -5, 5, -5, 5.5], [5]);
  const b = t([3, 3, -3, -3, 2], [5]);
  assert.deepEqual(run("mod", [a, b]), [2, 1, -1, -2, 1.5]);
  assert.deepEqual(run("fmod", [a, b]), [2, -2, 2, -2, 1.5]);
  const ai = t([5, -5, 5, -5, 7], [5], "int32");
  const bi = t([3, 3, -3, -3, 0], [5], "int32");
  assert.deepEqual(run("mod", [ai, bi]), [2, 1, -1, -2, 0]);
  assert.deepEqual(run("fmod", [ai, bi]), [2, -2, 2, -2, 0]);
});

test("float mod edge cases: by zero is NaN, by ±Inf follows Python, zero takes the divisor's sign", () => {
  assert.deepEqual(run("mod", [t([1, 3, -3, -4], [4]), t([0, Infinity, Infinity, -2], [4])]), [NaN, 3, Infinity, -0]);
  assert.deepEqual(run("fmod", [t([1, -3], [2]), t([0, Infinity], [2])]), [NaN, -3]);
});

test("pow on floats, including C's special cases", () => {
  assert.deepEqual(run("pow", [t([2, 4, -8, 1, -1, NaN], [6]), t([10, 0.5, 1 / 3, NaN, Infinity, 0], [6])]), [1024, 2, NaN, 1, 1, 1]);
});

test("pow on integers wraps and truncates negative exponents", () => {
  assert.deepEqual(run("pow", [t([3, 2, 2, -1, 1, 0], [6], "int32"), t([4, 31, -1, -3, -5, 0], [6], "int32")]), [81, -2147483648, 0, -1, 1, 1]);
  assert.deepEqual(run("pow", [t([2], [1], "int8"), t([7], [1], "int8")]), [-128]);
});

test("maximum and minimum propagate NaN and order signed zeros", () => {
  const a = t([1, NaN, 3, -0], [4]);
  const b = t([2, 0, NaN, 0], [4]);
  const max = run("maximum", [a, b]);
  const min = run("minimum", [a, b]);
  assert.deepEqual(max.slice(0, 3), [2, NaN, NaN]);
  assert.deepEqual(min.slice(0, 3), [1, NaN, NaN]);
  assert.ok(Object.is(max[3], 0) && Object.is(min[3], -0));
  assert.deepEqual(run("maximum", [t([-3, 4], [2], "int32"), t([1], [1], "int32")]), [1, 4]);
});

test("float16 inputs compute in float32 and round once", () => {
  const r = runOp("add", [t([1], [1], "float16"), t([0.0004], [1], "float16")])[0]!;
  assert.deepEqual([...r.values], [1]);
  assert.deepEqual(run("mul", [t([300], [1], "float16"), t([300], [1], "float16")]), [Infinity]);
});

test("empty broadcast gives an empty result", () => {
  const r = runOp("add", [t([], [0, 2]), t([1, 2], [2])])[0]!;
  assert.deepEqual(r.shape, [0, 2]);
  assert.equal(r.values.length, 0);
});
