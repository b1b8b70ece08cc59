import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError } from "@polychip/hal";
import { run, runOp, t } from "../testing.ts";

test("comparisons write bool 0/1", () => {
  const a = t([1, 2, 3], [3]);
  const b = t([2, 2, 2], [3]);
  const r = runOp("less", [a, b])[0]!;
  assert.equal(r.dtype, "bool");
  assert.deepEqual([...r.values], [1, 0, 0]);
  assert.deepEqual(run("lessEqual", [a, b]), [1, 1, 0]);
  assert.deepEqual(run("greater", [a, b]), [0, 0, 1]);
  assert.deepEqual(run("greaterEqual", [a, b]), [0, 1, 1]);
  assert.deepEqual(run("equal", [a, b]), [0, 1, 0]);
  assert.deepEqual(run("notEqual", [a, b]), [1, 0, 1]);
});

test("NaN is unequal to everything, itself included", () => {
  const a = t([NaN, NaN, 1], [3]);
  const b = t([NaN, 1, NaN], [3]);
  assert.deepEqual(run("equal", [a, b]), [0, 0, 0]);
  assert.deepEqual(run("notEqual", [a, b]), [1, 1, 1]);
  assert.deepEqual(run("less", [a, b]), [0, 0, 0]);
  assert.deepEqual(run("greaterEqual", [a, b]), [0, 0, 0]);
});

test("comparisons broadcast and accept integer and bool inputs", () => {
  assert.deepEqual(run("greater", [t([1, 5, -3], [3, 1], "int32"), t([0, 2], [2], "int32")]), [1, 0, 1, 1, 0, 0]);
  assert.deepEqual(run("equal", [t([1, 0], [2], "bool"), t([1], [1], "bool")]), [1, 0]);
  assert.deepEqual(run("equal", [t([-0], [1]), t([0], [1])]), [1]);
});

test("logical ops on bool", () => {
  const a = t([0, 0, 1, 1], [4], "bool");
  const b = t([0, 1, 0, 1], [4], "bool");
  assert.deepEqual(run("logicalAnd", [a, b]), [0, 0, 0, 1]);
  assert.deepEqual(run("logicalOr", [a, b]), [0, 1, 1, 1]);
  assert.deepEqual(run("logicalXor", [a, b]), [0, 1, 1, 0]);
});

test("logical ops refuse non-bool inputs", () => {
  assert.throws(() => run("logicalAnd", [t([1], [1]), t([1], [1])]), DTypeError);
});
