import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError } from "@polychip/hal";
import { assertClose } from "../test-utils.ts";
import { run, runOp, t } from "../testing.ts";

const e = Math.exp;

test("softmax along the last axis", () => {
  const s = e(1) + e(2) + e(3);
  assertClose(run("softmax", [t([1, 2, 3], [3])]), [e(1) / s, e(2) / s, e(3) / s], 1e-7);
});

test("softmax along axis 0 of a matrix normalises each column", () => {
  const v = run("softmax", [t([0, 1, 0, 1], [2, 2])], { axis: 0 });
  assertClose(v, [0.5, 0.5, 0.5, 0.5]);
  const w = run("softmax", [t([1, 0, 3, 0], [2, 2])], { axis: 0 });
  assertClose(w, [e(1) / (e(1) + e(3)), 0.5, e(3) / (e(1) + e(3)), 0.5], 1e-7);
});

test("softmax is stable for large logits and gives exact zeros for -Inf", () => {
  assertClose(run("softmax", [t([1000, 1000, -Infinity], [3])]), [0.5, 0.5, 0]);
  assertClose(run("logSoftmax", [t([1000, 1000], [2])]), [-Math.LN2, -Math.LN2]);
});

test("logSoftmax = x - max - log(sum(exp(x - max)))", () => {
  const lse = Math.log(e(1) + e(2) + e(3));
  assertClose(
    run("logSoftmax", [t([1, 2, 3, 1, 2, 3], [2, 3])]),
    [1, 2, 3, 1, 2, 3].map((x) => x - lse),
    1e-6,
  );
});

test("a line of only -Inf gives NaN, as the formula does", () => {
  assert.deepEqual(run("softmax", [t([-Infinity, -Infinity], [2])]), [NaN, NaN]);
});

test("softmax reads strided views and writes float16", () => {
  assertClose(run("softmax", [t([0, 9, 0, 9], [2], "float32", { strides: [2] })]), [0.5, 0.5]);
  const r = runOp("softmax", [t([0, 0, 0], [3], "float16")])[0]!;
  assert.deepEqual([...r.values], [0.333251953125, 0.333251953125, 0.333251953125]);
});

test("softmax refuses integer inputs", () => {
  assert.throws(() => run("softmax", [t([1], [1], "int32")]), DTypeError);
});
