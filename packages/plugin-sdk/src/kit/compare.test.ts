import assert from "node:assert/strict";
import { test } from "node:test";
import { compareValues, toleranceFor } from "./compare.ts";

test("NaN matches NaN and nothing else", () => {
  assert.ok(compareValues("float32", [NaN], [NaN], toleranceFor("float32")).ok);
  const c = compareValues("float32", [1], [NaN], toleranceFor("float32"));
  assert.equal(c.ok, false);
  assert.equal(c.maxError, Infinity);
});

test("infinities must match exactly, sign included", () => {
  assert.ok(compareValues("float16", [Infinity, -Infinity], [Infinity, -Infinity], toleranceFor("float16")).ok);
  assert.equal(compareValues("float16", [Infinity], [-Infinity], toleranceFor("float16")).ok, false);
  assert.equal(compareValues("float32", [3.4e38], [Infinity], toleranceFor("float32")).ok, false);
});

test("float32 allows about 1e-5 relative, float16 about 1e-3", () => {
  assert.ok(compareValues("float32", [1000.005], [1000], toleranceFor("float32")).ok);
  assert.equal(compareValues("float32", [1000.05], [1000], toleranceFor("float32")).ok, false);
  assert.ok(compareValues("float16", [1000.5], [1000], toleranceFor("float16")).ok);
  assert.equal(compareValues("float16", [1002], [1000], toleranceFor("float16")).ok, false);
});

test("integers and bools must be exact", () => {
  assert.equal(compareValues("int8", [127], [-128], toleranceFor("int8")).maxError, 255);
  assert.ok(compareValues("bool", [1, 0], [1, 0], toleranceFor("bool")).ok);
});

test("accumulation widens the absolute tolerance for sums", () => {
  assert.equal(compareValues("float32", [1e-4], [0], toleranceFor("float32")).ok, false);
  assert.ok(compareValues("float32", [1e-4], [0], toleranceFor("float32", 128)).ok);
});

test("the first mismatch is reported with its index and values", () => {
  const c = compareValues("int32", [1, 2, 9, 4], [1, 2, 3, 5], toleranceFor("int32"));
  assert.deepEqual(c.first, { index: 2, got: 9, want: 3 });
  assert.equal(c.mismatches, 2);
});
