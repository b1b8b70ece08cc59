import assert from "node:assert/strict";
import { test } from "node:test";
import type { Attrs } from "../device.ts";
import type { DType } from "../dtype.ts";
import { DTypeError, ShapeError, UnsupportedOpError } from "../errors.ts";
import { allOps, getOp, hasOp, PRIMITIVES } from "./index.ts";

const t = (dtype: DType, ...shape: number[]) => ({ shape, dtype });
const infer = (op: string, inputs: { shape: number[]; dtype: DType }[], attrs: Attrs = {}) => getOp(op).infer(inputs, attrs);

test("op names are unique, primitives carry no decomposition and every composite carries one", () => {
  const ops = allOps();
  assert.equal(new Set(ops.map((o) => o.name)).size, ops.length);
  for (const op of ops) assert.equal(op.kind === "composite", typeof op.decompose === "function", op.name);
  assert.ok(PRIMITIVES.length >= 30);
});

test("getOp refuses names the HAL does not define", () => {
  assert.equal(hasOp("conv3d"), false);
  assert.throws(() => getOp("conv3d"), UnsupportedOpError);
});

test("binary ops broadcast and keep the dtype; compares return bool", () => {
  assert.deepEqual(infer("add", [t("float32", 2, 1), t("float32", 3)]), [t("float32", 2, 3)]);
  assert.deepEqual(infer("less", [t("int32", 4), t("int32", 1)]), [t("bool", 4)]);
});

test("binary ops refuse mixed dtypes and dtypes outside their set", () => {
  assert.throws(() => infer("add", [t("float32", 2), t("int32", 2)]), {
    name: "DTypeError",
    message: "add: inputs must share one dtype, got float32[2], int32[2]",
  });
  assert.throws(() => infer("logicalAnd", [t("float32", 2), t("float32", 2)]), DTypeError);
  assert.throws(() => infer("exp", [t("int32", 2)]), DTypeError);
});

test("matmul infers [..., M, N] and honours transposeA/transposeB", () => {
  assert.deepEqual(infer("matmul", [t("float32", 5, 2, 3), t("float32", 5, 3, 4)]), [t("float32", 5, 2, 4)]);
  assert.deepEqual(infer("matmul", [t("float32", 3, 2), t("float32", 4, 3)], { transposeA: true, transposeB: true }), [t("float32", 2, 4)]);
});

test("matmul names the inner dimensions and shapes when they differ", () => {
  assert.throws(
    () => infer("matmul", [t("float32", 2, 3), t("float32", 4, 5)]),
    (e: unknown) => {
      assert.ok(e instanceof ShapeError);
      assert.equal(e.message, "matmul: inner dimensions differ (3 vs 4) for float32[2, 3], float32[4, 5]");
      return true;
    },
  );
});

test("matmul refuses unequal batch dims and mismatched ranks", () => {
  assert.throws(() => infer("matmul", [t("float32", 2, 2, 3), t("float32", 3, 3, 4)]), /batch dimensions differ/);
  assert.throws(() => infer("matmul", [t("float32", 2, 3), t("float32", 1, 3, 4)]), /one rank >= 2/);
});

test("reductions drop or keep the reduced axes; no axes means all", () => {
  assert.deepEqual(infer("reduceSum", [t("float32", 2, 3, 4)], { axes: [-1, 0] }), [t("float32", 3)]);
  assert.deepEqual(infer("reduceMax", [t("float32", 2, 3, 4)], { axes: [1], keepDims: true }), [t("float32", 2, 1, 4)]);
  assert.deepEqual(infer("reduceSum", [t("int32", 2, 3)]), [t("int32")]);
});

test("max/min reductions refuse an empty dimension, sums allow it", () => {
  assert.throws(() => infer("reduceMax", [t("float32", 0, 3)], { axes: [0] }), /cannot reduce an empty dimension/);
  assert.deepEqual(infer("reduceSum", [t("float32", 0, 3)], { axes: [0] }), [t("float32", 3)]);
});

test("argMax returns int32 indices along one axis", () => {
  assert.deepEqual(infer("argMax", [t("float16", 4, 5)], { axis: 1 }), [t("int32", 4)]);
  assert.throws(() => infer("argMax", [t("float32", 4, 5)], { axis: 2 }), ShapeError);
});

test("gather replaces the axis by the index shape and wants int32 indices", () => {
  assert.deepEqual(infer("gather", [t("float32", 6, 7, 8), t("int32", 2, 3)], { axis: 1 }), [t("float32", 6, 2, 3, 8)]);
  assert.throws(() => infer("gather", [t("float32", 6), t("float32", 2)]), DTypeError);
});

test("scatterAdd keeps the input shape and checks the index rank", () => {
  assert.deepEqual(infer("scatterAdd", [t("float32", 3, 4), t("int32", 2, 4), t("float32", 2, 4)], { axis: 0 }), [t("float32", 3, 4)]);
  assert.throws(() => infer("scatterAdd", [t("float32", 3, 4), t("int32", 8), t("float32", 8)]), /index must have the input's rank/);
});

test("where broadcasts all three inputs and wants a bool condition", () => {
  assert.deepEqual(infer("where", [t("bool", 3, 1), t("float32", 4), t("float32", 1)]), [t("float32", 3, 4)]);
  assert.throws(() => infer("where", [t("int32", 3), t("float32", 3), t("float32", 3)]), DTypeError);
});

test("cast and fill take their dtype from attrs and refuse unknown ones", () => {
  assert.deepEqual(infer("cast", [t("float32", 2)], { to: "int8" }), [t("int8", 2)]);
  assert.throws(() => infer("cast", [t("float32", 2)], { to: "float64" }), DTypeError);
  assert.deepEqual(infer("fill", [], { shape: [2, 2], value: 1 }), [t("float32", 2, 2)]);
  assert.throws(() => infer("fill", [], { shape: [2, -1] }), /invalid shape/);
  assert.throws(() => infer("randomUniform", [], {}), /missing attribute 'shape'/);
});
