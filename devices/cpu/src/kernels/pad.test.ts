import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { run, runOp, t } from "../testing.ts";

const m = t([1, 2, 3, 4, 5, 6], [2, 3]);

test("constant pad with a value, per-dim begin and end", () => {
  const r = runOp("pad", [m], { pads: [1, 0, 0, 2], value: 9 })[0]!;
  assert.deepEqual(r.shape, [3, 5]);
  assert.deepEqual([...r.values], [9, 9, 9, 9, 9, 1, 2, 3, 9, 9, 4, 5, 6, 9, 9]);
});

test("constant pad defaults to 0", () => {
  assert.deepEqual(run("pad", [t([1, 2], [2])], { pads: [1, 1] }), [0, 1, 2, 0]);
});

test("reflect mirrors without repeating the edge", () => {
  assert.deepEqual(run("pad", [t([1, 2, 3], [3])], { pads: [2, 2], mode: "reflect" }), [3, 2, 1, 2, 3, 2, 1]);
  assert.deepEqual(run("pad", [m], { pads: [1, 1, 1, 1], mode: "reflect" }), [5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 2, 1, 2, 3, 2]);
});

test("reflect keeps mirroring for pads wider than the input", () => {
  assert.deepEqual(run("pad", [t([1, 2], [2])], { pads: [3, 0], mode: "reflect" }), [2, 1, 2, 1, 2]);
});

test("edge repeats the border element", () => {
  assert.deepEqual(run("pad", [t([1, 2, 3], [3])], { pads: [2, 1], mode: "edge" }), [1, 1, 1, 2, 3, 3]);
});

test("negative pads crop", () => {
  assert.deepEqual(run("pad", [m], { pads: [0, -1, -1, 1] }), [2, 3, 0]);
});

test("pad converts the value to the dtype and moves float16 bits", () => {
  assert.deepEqual(run("pad", [t([5], [1], "uint8")], { pads: [1, 0], value: 300 }), [255, 5]);
  assert.deepEqual(run("pad", [t([0.1], [1], "float16")], { pads: [0, 1], value: 0.1 }), [0.0999755859375, 0.0999755859375]);
});

test("pad reads strided views", () => {
  // The transposed view [[1,4],[2,5],[3,6]], edge padded on the right.
  assert.deepEqual(
    run("pad", [t([1, 2, 3, 4, 5, 6], [3, 2], "float32", { strides: [1, 3] })], { pads: [0, 0, 0, 1], mode: "edge" }),
    [1, 4, 4, 2, 5, 5, 3, 6, 6],
  );
});

test("pad refuses unknown modes and reflecting an empty dim", () => {
  assert.throws(() => run("pad", [m], { pads: [0, 0, 0, 0], mode: "wrap" }), ShapeError);
  assert.throws(() => run("pad", [t([], [0])], { pads: [1, 0], mode: "reflect" }), ShapeError);
  assert.throws(() => run("pad", [m], { pads: [1, 1] }), ShapeError);
});
