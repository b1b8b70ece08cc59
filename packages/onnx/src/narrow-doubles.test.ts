import assert from "node:assert/strict";
import { test } from "node:test";
import { narrowDoubles } from "./narrow-doubles.ts";
import { polychipFeeds } from "./onnx-feeds.ts";
import { tensorFromProto } from "./tensor.ts";
import { DataType } from "./proto/types.ts";

test("doubles within float32's range narrow to the nearest float32, tiny ones to zero", () => {
  assert.deepEqual(Array.from(narrowDoubles([1.5, -0.1, 3e38, 1e-320], "x")), [1.5, Math.fround(-0.1), Math.fround(3e38), 0]);
});

test("infinities and NaN stay what they are: they were not finite doubles", () => {
  const got = narrowDoubles([Infinity, -Infinity, Number.NaN], "x");
  assert.deepEqual([got[0], got[1], Number.isNaN(got[2]!)], [Infinity, -Infinity, true]);
});

test("a finite double past float32's range is an error naming it, not an Infinity", () => {
  assert.throws(
    () => narrowDoubles([1, -5e38], "input 'x'"),
    (e: Error) => e.name === "DTypeError" && /input 'x': double value -5e\+38 at index 1/.test(e.message),
  );
});

test("a float64 feed past float32's range is refused with the input's name", () => {
  assert.throws(
    () => polychipFeeds({ audio: { shape: [2], data: new Float64Array([0.5, 2.4e198]) } }),
    (e: Error) => e.name === "DTypeError" && /input 'audio': double value 2\.4e\+198 at index 1/.test(e.message),
  );
});

test("a DOUBLE initializer past float32's range is refused, one within it narrows", () => {
  assert.throws(() => tensorFromProto({ dims: [1], dataType: DataType.DOUBLE, doubleData: [1e39] }, "initializer 'w'"), /initializer 'w': double value 1e\+39/);
  assert.deepEqual(Array.from(tensorFromProto({ dims: [2], dataType: DataType.DOUBLE, doubleData: [0.25, -2] }, "w").data), [0.25, -2]);
});
