import assert from "node:assert/strict";
import { test } from "node:test";
import { run, runOp } from "../testing.ts";

test("fill sets every element, float32 by default", () => {
  const r = runOp("fill", [], { shape: [2, 2], value: 1.5 })[0]!;
  assert.equal(r.dtype, "float32");
  assert.deepEqual([...r.values], [1.5, 1.5, 1.5, 1.5]);
});

test("fill converts the value by the cast rule", () => {
  assert.deepEqual(run("fill", [], { shape: [2], value: 300.7, dtype: "uint8" }), [255, 255]);
  assert.deepEqual(run("fill", [], { shape: [1], value: -2.9, dtype: "int32" }), [-2]);
  assert.deepEqual(run("fill", [], { shape: [1], value: true, dtype: "bool" }), [1]);
  assert.deepEqual(run("fill", [], { shape: [1], value: 0.1, dtype: "float16" }), [0.0999755859375]);
  assert.deepEqual(run("fill", [], { shape: [1], value: -Infinity }), [-Infinity]);
});

test("fill of an empty or scalar shape", () => {
  assert.deepEqual(run("fill", [], { shape: [0, 3], value: 1 }), []);
  assert.deepEqual(run("fill", [], { shape: [], value: 4 }), [4]);
});
