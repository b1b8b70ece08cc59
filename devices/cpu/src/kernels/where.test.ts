import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError } from "@polychip/hal";
import { run, runOp, t } from "../testing.ts";

test("where picks a where cond is true, else b", () => {
  assert.deepEqual(run("where", [t([1, 0, 1], [3], "bool"), t([1, 2, 3], [3]), t([-1, -2, -3], [3])]), [1, -2, 3]);
});

test("where broadcasts all three inputs", () => {
  const r = runOp("where", [t([1, 0], [2, 1], "bool"), t([7], []), t([1, 2, 3], [3])])[0]!;
  assert.deepEqual(r.shape, [2, 3]);
  assert.deepEqual([...r.values], [7, 7, 7, 1, 2, 3]);
});

test("where moves float16 and integer values unchanged and reads strided views", () => {
  assert.deepEqual(run("where", [t([0, 1], [2], "bool"), t([0.1, 65504], [2], "float16"), t([NaN, 3], [2], "float16")]), [NaN, 65504]);
  const cond = t([1, 9, 0, 9], [2], "bool", { strides: [2] });
  assert.deepEqual(run("where", [cond, t([5, 6], [2], "int8"), t([-5, -6], [2], "int8")]), [5, -6]);
});

test("where needs a bool condition and matching value dtypes", () => {
  assert.throws(() => run("where", [t([1], [1]), t([1], [1]), t([1], [1])]), DTypeError);
  assert.throws(() => run("where", [t([1], [1], "bool"), t([1], [1]), t([1], [1], "int32")]), DTypeError);
});
