import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { assertClose } from "../test-utils.ts";
import { run, runOp, t } from "../testing.ts";

test("layerNorm over the last axis uses the biased variance", () => {
  // mean 2.5, variance 1.25.
  const inv = 1 / Math.sqrt(1.25 + 1e-5);
  assertClose(
    run("layerNorm", [t([1, 2, 3, 4], [1, 4])]),
    [-1.5, -0.5, 0.5, 1.5].map((d) => d * inv),
  );
});

test("layerNorm applies weight and bias elementwise", () => {
  const v = run("layerNorm", [t([0, 2, 10, 30], [2, 2]), t([2, 3], [2]), t([1, -1], [2])], { epsilon: 0 });
  assertClose(v, [-2 + 1, 3 - 1, -2 + 1, 3 - 1]);
});

test("layerNorm over the trailing dims from attrs.axis", () => {
  // Normalise each [2, 2] block: mean 2.5 and 6.5, variance 1.25 for both.
  const inv = 1 / Math.sqrt(1.25);
  const v = run("layerNorm", [t([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2])], { axis: 1, epsilon: 0 });
  assertClose(
    v,
    [-1.5, -0.5, 0.5, 1.5, -1.5, -0.5, 0.5, 1.5].map((d) => d * inv),
    1e-6,
  );
});

test("layerNorm of a constant row is 0 (epsilon keeps it finite)", () => {
  assert.deepEqual(run("layerNorm", [t([3, 3, 3], [3])]), [0, 0, 0]);
});

test("layerNorm refuses a weight that does not fit the normalised dims", () => {
  assert.throws(() => run("layerNorm", [t([1, 2, 3, 4], [2, 2]), t([1, 2, 3], [3])]), ShapeError);
});

test("batchNorm normalises each channel with its running statistics", () => {
  // x [1, 2, 2]: channel 0 = [1, 3], channel 1 = [10, 20].
  const x = t([1, 3, 10, 20], [1, 2, 2]);
  const v = run("batchNorm", [x, t([1, 2], [2]), t([0, 1], [2]), t([2, 15], [2]), t([1, 25], [2])], { epsilon: 0 });
  assertClose(v, [-1, 1, 2 * (-5 / 5) + 1, 2 * (5 / 5) + 1]);
});

test("batchNorm on NCHW with the default epsilon and float16 output", () => {
  const r = runOp("batchNorm", [
    t([4, 4], [1, 1, 1, 2], "float16"),
    t([1], [1], "float16"),
    t([0], [1], "float16"),
    t([2], [1], "float16"),
    t([4], [1], "float16"),
  ])[0]!;
  assert.equal(r.dtype, "float16");
  assert.deepEqual([...r.values], [1, 1]);
});

test("batchNorm refuses parameters of the wrong length", () => {
  assert.throws(() => run("batchNorm", [t([1, 2], [1, 2]), t([1], [1]), t([1], [1]), t([1], [1]), t([1], [1])]), ShapeError);
});
