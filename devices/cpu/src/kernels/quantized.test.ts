import assert from "node:assert/strict";
import { test } from "node:test";
import { run, runOp, t } from "../testing.ts";

test("quantizeLinear rounds half to even, adds the zero point, saturates, and maps NaN to 0", () => {
  const x = t([0, 1.25, 1.75, -3, 300, -300, NaN], [7]);
  assert.deepEqual(run("quantizeLinear", [x, t([0.5], []), t([10], [], "uint8")]), [10, 12, 14, 4, 255, 0, 0]);
  const r = runOp("quantizeLinear", [t([1, -1], [2]), t([0.25], [])], { dtype: "int8" })[0]!;
  assert.equal(r.dtype, "int8");
  assert.deepEqual([...r.values], [4, -4]);
});

test("quantizeLinear and dequantizeLinear take per-axis scales and zero points", () => {
  const x = t([1, 2, 3, 4], [2, 2]);
  assert.deepEqual(run("quantizeLinear", [x, t([1, 0.5], [2]), t([0, 100], [2], "uint8")], { axis: 1 }), [1, 104, 3, 108]);
  assert.deepEqual(run("dequantizeLinear", [t([1, 104, 3, 108], [2, 2], "uint8"), t([1, 0.5], [2]), t([0, 100], [2], "uint8")], { axis: 1 }), [1, 2, 3, 4]);
});

test("quantizedMatmul: (a - aZero)(b - bZero) scaled to y's quantisation", () => {
  // a = [[1, 2]] at scale 1, zero 0; b = [[1], [1]] at scale 1, zero 0; acc = 3; y = 3 / 0.5 + 5 = 11.
  const y = run("quantizedMatmul", [
    t([1, 2], [1, 2], "uint8"),
    t([1], []),
    t([0], [], "uint8"),
    t([1, 1], [2, 1], "uint8"),
    t([1], []),
    t([0], [], "uint8"),
    t([0.5], []),
    t([5], [], "uint8"),
  ]);
  assert.deepEqual(y, [11]);
});

test("quantizedConv2d with an int32 bias and a fused relu", () => {
  // x 1x1x2x2 = [1, 2, 3, 4] (zero 0, scale 1), w 2x1x1x1 = [1, -1] (scale 1), bias [1, 0], y scale 1 zero 10.
  const args = [
    t([1, 2, 3, 4], [1, 1, 2, 2], "uint8"),
    t([1], []),
    t([0], [], "uint8"),
    t([1, -1], [2, 1, 1, 1], "int8"),
    t([1], []),
    t([0], [], "int8"),
    t([1], []),
    t([10], [], "uint8"),
    t([1, 0], [2], "int32"),
  ];
  assert.deepEqual(run("quantizedConv2d", args), [12, 13, 14, 15, 9, 8, 7, 6]);
  assert.deepEqual(run("quantizedConv2d", args, { activation: "relu" }), [12, 13, 14, 15, 10, 10, 10, 10]);
});
