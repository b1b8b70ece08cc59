import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { run, runOp, t } from "../testing.ts";

const x = t([1, 2, 3, 4, 5, 6], [3, 2]);

test("gather along axis 0 takes rows; the index shape replaces the axis", () => {
  const r = runOp("gather", [x, t([2, 0, 2, 1], [2, 2], "int32")], { axis: 0 })[0]!;
  assert.deepEqual(r.shape, [2, 2, 2]);
  assert.deepEqual([...r.values], [5, 6, 1, 2, 5, 6, 3, 4]);
});

test("gather along the last axis and with a scalar index", () => {
  assert.deepEqual(run("gather", [x, t([1], [1], "int32")], { axis: 1 }), [2, 4, 6]);
  const r = runOp("gather", [x, t([1], [], "int32")], { axis: 0 })[0]!;
  assert.deepEqual(r.shape, [2]);
  assert.deepEqual([...r.values], [3, 4]);
});

test("gather reads strided inputs and moves float16 and int values exactly", () => {
  assert.deepEqual(run("gather", [t([1, 2, 3, 4, 5, 6], [2, 3], "float32", { strides: [1, 2] }), t([0], [1], "int32")], { axis: 1 }), [1, 2]);
  assert.deepEqual(run("gather", [t([0.1, NaN], [2], "float16"), t([1, 0], [2], "int32")]), [NaN, 0.0999755859375]);
  assert.deepEqual(run("gather", [t([-7, 9], [2], "int8"), t([0, 0], [2], "int32")]), [-7, -7]);
});

test("gather refuses out-of-range and negative indices, naming the index and dim", () => {
  assert.throws(
    () => run("gather", [x, t([3], [1], "int32")], { axis: 0 }),
    (e: unknown) => e instanceof ShapeError && /gather/.test(e.message) && /index 3/.test(e.message) && /dim 0/.test(e.message),
  );
  assert.throws(
    () => run("gather", [x, t([-1], [1], "int32")], { axis: 1 }),
    (e: unknown) => e instanceof ShapeError && /index -1/.test(e.message) && /dim 1/.test(e.message),
  );
});

test("gatherElements picks along an axis per position (torch.gather)", () => {
  const m = t([1, 2, 3, 4], [2, 2]);
  assert.deepEqual(run("gatherElements", [m, t([0, 0, 1, 0], [2, 2], "int32")], { axis: 1 }), [1, 1, 4, 3]);
  assert.deepEqual(run("gatherElements", [m, t([1, 0, 0, 1], [2, 2], "int32")], { axis: 0 }), [3, 2, 1, 4]);
});

test("gatherElements accepts an index smaller than the input and strided input", () => {
  assert.deepEqual(run("gatherElements", [x, t([1], [1, 1], "int32")], { axis: 1 }), [2]);
  // Transposed view [[1,3,5],[2,4,6]].
  assert.deepEqual(run("gatherElements", [t([1, 2, 3, 4, 5, 6], [2, 3], "float32", { strides: [1, 2] }), t([2, 0], [2, 1], "int32")], { axis: 1 }), [5, 2]);
});

test("gatherElements refuses out-of-range indices and oversize index shapes", () => {
  assert.throws(() => run("gatherElements", [x, t([2], [1, 1], "int32")], { axis: 1 }), ShapeError);
  assert.throws(() => run("gatherElements", [x, t([0, 0, 0, 0, 0, 0, 0, 0], [4, 2], "int32")], { axis: 1 }), ShapeError);
});

test("scatterAdd accumulates src into x at the indexed positions (torch.scatter_add)", () => {
  const base = t([0, 0, 0, 0, 0, 0], [2, 3]);
  const idx = t([0, 1, 0, 2, 2, 2], [2, 3], "int32");
  const src = t([1, 2, 3, 4, 5, 6], [2, 3]);
  assert.deepEqual(run("scatterAdd", [base, idx, src], { axis: 1 }), [4, 2, 0, 0, 0, 15]);
  assert.deepEqual(run("scatterAdd", [base, t([1, 0, 1], [1, 3], "int32"), src], { axis: 0 }), [0, 2, 0, 1, 0, 3]);
});

test("scatterAdd reads src at the index's coordinates when src is larger, and works on ints", () => {
  const r = run("scatterAdd", [t([10, 20], [2], "int32"), t([1, 1], [2], "int32"), t([1, 2, 3], [3], "int32")], { axis: 0 });
  assert.deepEqual(r, [10, 23]);
});

test("scatterAdd refuses out-of-range indices and a src of another rank", () => {
  assert.throws(() => run("scatterAdd", [t([0, 0], [2]), t([2], [1], "int32"), t([1], [1])], { axis: 0 }), ShapeError);
  assert.throws(() => run("scatterAdd", [t([0, 0], [2]), t([0], [1], "int32"), t([1], [1, 1])], { axis: 0 }), ShapeError);
});
