import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError } from "@polychip/hal";
import { assertClose } from "../test-utils.ts";
import { run, runOp, t } from "../testing.ts";
import { UNARY_SCALAR } from "@polychip/hal";

const erf = UNARY_SCALAR.erf!;
const roundHalfEven = UNARY_SCALAR.round!;

test("float unary ops match Math on ordinary values", () => {
  const xs = [0.25, 1, 2.5];
  const cases: Record<string, (x: number) => number> = {
    neg: (x) => -x,
    abs: Math.abs,
    exp: Math.exp,
    log: Math.log,
    sqrt: Math.sqrt,
    rsqrt: (x) => 1 / Math.sqrt(x),
    reciprocal: (x) => 1 / x,
    sin: Math.sin,
    cos: Math.cos,
    tanh: Math.tanh,
    sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    floor: Math.floor,
    ceil: Math.ceil,
  };
  for (const [op, f] of Object.entries(cases))
    assertClose(
      run(op, [t(xs, [3])]),
      xs.map((x) => Math.fround(f(x))),
      0,
      0,
    );
});

test("log, sqrt and reciprocal follow IEEE at 0, negatives and infinities", () => {
  assert.deepEqual(run("log", [t([0, -1, Infinity], [3])]), [-Infinity, NaN, Infinity]);
  assert.deepEqual(run("sqrt", [t([-1, Infinity], [2])]), [NaN, Infinity]);
  assert.deepEqual(run("rsqrt", [t([0, -0], [2])]), [Infinity, -Infinity]);
  assert.deepEqual(run("reciprocal", [t([0, -0, Infinity], [3])]), [Infinity, -Infinity, 0]);
});

test("sigmoid saturates cleanly at ±large and keeps NaN", () => {
  assert.deepEqual(run("sigmoid", [t([-1000, 1000, NaN, 0], [4])]), [0, 1, NaN, 0.5]);
});

test("sign gives -1, 0, 1 and keeps NaN", () => {
  assert.deepEqual(run("sign", [t([-3, 0, 2, NaN], [4])]), [-1, 0, 1, NaN]);
  assert.deepEqual(run("sign", [t([-7, 0, 9], [3], "int32")]), [-1, 0, 1]);
});

test("relu zeroes negatives, propagates NaN and works on integers", () => {
  assert.deepEqual(run("relu", [t([-2, 0, 3, NaN, -Infinity], [5])]), [0, 0, 3, NaN, 0]);
  assert.deepEqual(run("relu", [t([-5, 7], [2], "int8")]), [0, 7]);
});

test("round is half to even", () => {
  assert.deepEqual(run("round", [t([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6], [8])]), [0, 2, 2, -0, -2, -2, 2, -3]);
  assert.equal(roundHalfEven(-3.5), -4);
  assert.ok(Object.is(roundHalfEven(-0.4), -0));
});

test("erf matches reference values and is odd", () => {
  assertClose(
    [0, 0.1, 0.5, 1, 2, 3, 5, 7].map(erf),
    [0, 0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.9999779095030014, 0.9999999999984626, 1],
    0,
    1e-14,
  );
  assert.equal(erf(-1), -erf(1));
  assert.ok(Number.isNaN(erf(NaN)));
  assertClose(run("erf", [t([1e-8, -Infinity], [2])]), [Math.fround(1.1283791670955126e-8), -1], 0, 0);
});

test("integer neg and abs wrap at the type's range", () => {
  assert.deepEqual(run("neg", [t([-128, 5], [2], "int8")]), [-128, -5]);
  assert.deepEqual(run("abs", [t([-2147483648, -3], [2], "int32")]), [-2147483648, 3]);
});

test("isNaN writes bool and logicalNot inverts bool", () => {
  const r = runOp("isNaN", [t([NaN, 1, Infinity], [3])])[0]!;
  assert.equal(r.dtype, "bool");
  assert.deepEqual([...r.values], [1, 0, 0]);
  assert.deepEqual(run("logicalNot", [t([1, 0, 1], [3], "bool")]), [0, 1, 0]);
});

test("float16 results are rounded to half precision", () => {
  const r = runOp("exp", [t([1], [1], "float16")])[0]!;
  assert.equal(r.dtype, "float16");
  assert.deepEqual([...r.values], [2.71875]);
});

test("unary ops read strided and broadcast views", () => {
  // A transposed 2x3 view of [[1,2,3],[4,5,6]] read as 3x2.
  assert.deepEqual(run("neg", [t([1, 2, 3, 4, 5, 6], [3, 2], "float32", { strides: [1, 3] })]), [-1, -4, -2, -5, -3, -6]);
  // Stride 0 broadcasts one element, with an offset into the buffer.
  assert.deepEqual(run("abs", [t([9, -4], [2, 2], "float32", { strides: [0, 0], offset: 1 })]), [4, 4, 4, 4]);
});

test("empty and scalar tensors", () => {
  assert.deepEqual(run("exp", [t([], [0, 3])]), []);
  assert.deepEqual(run("neg", [t([2], [])]), [-2]);
});

test("float-only ops refuse integer inputs (HAL infer)", () => {
  assert.throws(() => run("exp", [t([1], [1], "int32")]), DTypeError);
});
