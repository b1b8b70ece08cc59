import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "./errors.ts";
import { contiguousStrides } from "./shape.ts";
import type { Attrs } from "./device.ts";
import type { DType } from "./dtype.ts";
import { applyPlanToValues, planShape, planStructural, sliceAxis, type StructuralOp, type StructuralPlan } from "./structural.ts";

const valuesOf = (p: StructuralPlan) => (p.kind === "value" ? [...p.values] : undefined);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function plan(
  op: StructuralOp,
  shape: number[],
  attrs: Attrs = {},
  extra: (number[] | undefined)[] = [],
  outputCount = 1,
  dtype: DType = "float32",
): StructuralPlan[] {
  return planStructural(op, { x: { dtype, shape, strides: contiguousStrides(shape), offset: 0 }, extra, attrs, outputCount });
}

/** Values of arange(size) after the op: what the op picks, in order. */
function picked(op: StructuralOp, shape: number[], attrs: Attrs = {}, extra: (number[] | undefined)[] = []): { shape: readonly number[]; values: number[] } {
  const [p] = plan(op, shape, attrs, extra);
  return { shape: planShape(p!), values: applyPlanToValues(p!, range(shape.reduce((a, b) => a * b, 1))) };
}

test("sliceAxis follows ONNX Slice clamping for positive and negative steps", () => {
  assert.deepEqual(sliceAxis(10, 2, 7, 2), { first: 2, count: 3, reversed: false });
  assert.deepEqual(sliceAxis(10, -3, 100, 1), { first: 7, count: 3, reversed: false });
  assert.deepEqual(sliceAxis(5, -1, -6, -1), { first: 0, count: 5, reversed: true }); // the whole axis reversed
  assert.deepEqual(sliceAxis(5, 100, -100, -2), { first: 0, count: 3, reversed: true }); // 4, 2, 0
  assert.deepEqual(sliceAxis(5, 3, 3, 1).count, 0);
  assert.deepEqual(sliceAxis(5, 1, 3, -1).count, 0);
  assert.throws(() => sliceAxis(5, 0, 5, 0), ShapeError);
});

test("slice with a negative step picks the elements in reverse order", () => {
  const r = picked("slice", [2, 5], { starts: [4], ends: [-100], axes: [1], steps: [-2] });
  assert.deepEqual(r.shape, [2, 3]);
  assert.deepEqual(r.values, [4, 2, 0, 9, 7, 5]);
});

test("slice reads starts, ends, axes and steps from inputs when given (ONNX opset 10+)", () => {
  const r = picked("slice", [4, 3], {}, [
    [1, 0],
    [3, 2],
    [0, 1],
    [1, 1],
  ]);
  assert.deepEqual(r.shape, [2, 2]);
  assert.deepEqual(r.values, [3, 4, 6, 7]);
});

test("reshape copies the input dim for 0 and infers one -1; allowZero keeps a literal 0", () => {
  assert.deepEqual(planShape(plan("reshape", [3, 4, 5], { shape: [0, -1] })[0]!), [3, 20]);
  assert.deepEqual(planShape(plan("reshape", [3, 4, 5], {}, [[0, 4, 5]])[0]!), [3, 4, 5]);
  assert.deepEqual(planShape(plan("reshape", [0, 4], { shape: [0, 8], allowZero: true })[0]!), [0, 8]);
  assert.throws(() => plan("reshape", [3, 4], { shape: [5, -1] }), /cannot reshape \[3, 4\]/);
  assert.throws(() => plan("reshape", [3, 4], { shape: [-1, -1] }), /more than one -1/);
});

test("reshape of a transposed view needs a copy; of a contiguous one it is a view", () => {
  const transposed = planStructural("reshape", {
    x: { dtype: "float32", shape: [3, 2], strides: [1, 3], offset: 0 },
    extra: [],
    attrs: { shape: [6] },
    outputCount: 1,
  });
  assert.equal(transposed[0]!.kind, "copy-reshape");
  assert.equal(plan("reshape", [2, 3], { shape: [6] })[0]!.kind, "view");
});

test("flatten, squeeze and unsqueeze follow ONNX axes", () => {
  assert.deepEqual(planShape(plan("flatten", [2, 3, 4], { axis: 0 })[0]!), [1, 24]);
  assert.deepEqual(planShape(plan("flatten", [2, 3, 4], { axis: -1 })[0]!), [6, 4]);
  assert.deepEqual(planShape(plan("squeeze", [1, 3, 1])[0]!), [3]);
  assert.deepEqual(planShape(plan("squeeze", [1, 3, 1], { axes: [-1] })[0]!), [1, 3]);
  assert.throws(() => plan("squeeze", [2, 3], { axes: [0] }), /dim 0 of \[2, 3\] is 2, not 1/);
  assert.deepEqual(planShape(plan("unsqueeze", [3, 4], { axes: [0, -1] })[0]!), [1, 3, 4, 1]);
});

test("permute defaults to reversing the dims; expand broadcasts both ways", () => {
  assert.deepEqual(picked("permute", [2, 3]).values, [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(picked("expand", [3, 1], { shape: [2, 1, 4] }), {
    shape: [2, 3, 4],
    values: [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2],
  });
});

test("split makes views of equal or given sizes along the axis", () => {
  const equal = plan("split", [2, 6], { axis: 1 }, [], 3);
  assert.deepEqual(equal.map(planShape), [
    [2, 2],
    [2, 2],
    [2, 2],
  ]);
  assert.deepEqual(applyPlanToValues(equal[1]!, range(12)), [2, 3, 8, 9]);
  const sized = plan("split", [5], {}, [[2, 3]], 2);
  assert.deepEqual(
    sized.map((p) => applyPlanToValues(p, range(5))),
    [
      [0, 1],
      [2, 3, 4],
    ],
  );
  assert.throws(() => plan("split", [5], { sizes: [2, 2] }, [], 2), ShapeError);
});

test("shape (with start/end), size and constant produce host values", () => {
  assert.deepEqual(plan("shape", [2, 3, 4])[0], { kind: "value", dtype: "int32", shape: [3], values: [2, 3, 4] });
  assert.deepEqual(valuesOf(plan("shape", [2, 3, 4], { start: -2 })[0]!), [3, 4]);
  assert.deepEqual(valuesOf(plan("size", [2, 3, 4])[0]!), [24]);
  const c = planStructural("constant", { extra: [], attrs: { value: [1, 2], shape: [2], dtype: "int32" }, outputCount: 1 });
  assert.deepEqual(c[0], { kind: "value", dtype: "int32", shape: [2], values: [1, 2] });
  assert.throws(() => planStructural("constant", { extra: [], attrs: { value: [1, 2, 3], shape: [2] }, outputCount: 1 }), /3 values do not fill shape \[2\]/);
});
