import assert from "node:assert/strict";
import { test } from "node:test";
import { run, runOp, t } from "../testing.ts";

const floats = t([2.7, -2.7, NaN, 300, -300, 0.5], [6]);

test("float to int32 truncates toward zero and NaN becomes 0", () => {
  assert.deepEqual(run("cast", [floats], { to: "int32" }), [2, -2, 0, 300, -300, 0]);
});

test("float to int32 out of range wraps modulo 2^32", () => {
  assert.deepEqual(run("cast", [t([2147483648, 4294967808], [2])], { to: "int32" }), [-2147483648, 512]);
});

test("float to int8 and uint8 saturates", () => {
  assert.deepEqual(run("cast", [floats], { to: "int8" }), [2, -2, 0, 127, -128, 0]);
  assert.deepEqual(run("cast", [floats], { to: "uint8" }), [2, 0, 0, 255, 0, 0]);
  assert.deepEqual(run("cast", [t([Infinity, -Infinity], [2])], { to: "int8" }), [127, -128]);
});

test("int32 to int8 and uint8 saturates too", () => {
  assert.deepEqual(run("cast", [t([1000, -1000, 5], [3], "int32")], { to: "int8" }), [127, -128, 5]);
  assert.deepEqual(run("cast", [t([-1, 256], [2], "int32")], { to: "uint8" }), [0, 255]);
});

test("to bool is x != 0, so NaN is true", () => {
  const r = runOp("cast", [t([0, -0, 0.1, NaN, -3], [5])], { to: "bool" })[0]!;
  assert.equal(r.dtype, "bool");
  assert.deepEqual([...r.values], [0, 0, 1, 1, 1]);
});

test("bool to numbers gives 0/1", () => {
  assert.deepEqual(run("cast", [t([1, 0], [2], "bool")], { to: "float32" }), [1, 0]);
  assert.deepEqual(run("cast", [t([1, 0], [2], "bool")], { to: "int8" }), [1, 0]);
});

test("to float16 rounds to nearest even and overflows to Inf", () => {
  assert.deepEqual(run("cast", [t([2049, 2051, 1e5, 1e-8], [4])], { to: "float16" }), [2048, 2052, Infinity, 0]);
});

test("float16 to float32 is exact; int32 to float32 rounds", () => {
  assert.deepEqual(run("cast", [t([0.333251953125], [1], "float16")], { to: "float32" }), [0.333251953125]);
  assert.deepEqual(run("cast", [t([16777217], [1], "int32")], { to: "float32" }), [16777216]);
});

test("cast reads strided views", () => {
  assert.deepEqual(run("cast", [t([1.5, 9, 2.5, 9], [2], "float32", { strides: [2] })], { to: "int32" }), [1, 2]);
});
