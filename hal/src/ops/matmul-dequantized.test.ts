import assert from "node:assert/strict";
import { test } from "node:test";
import type { DType } from "../dtype.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { getOp } from "./index.ts";

const t = (dtype: DType, ...shape: number[]) => ({ shape, dtype });
const infer = (...inputs: { shape: number[]; dtype: DType }[]) => getOp("matmulDequantized").infer(inputs, {});

test("matmulDequantized infers float32 [..., M, N] for int8 and uint8 weights", () => {
  assert.deepEqual(infer(t("float32", 1, 7, 288), t("uint8", 288, 32768), t("float32"), t("uint8")), [{ shape: [1, 7, 32768], dtype: "float32" }]);
  assert.deepEqual(infer(t("float32", 3, 5), t("int8", 5, 4), t("float32", 4)), [{ shape: [3, 4], dtype: "float32" }]);
  assert.deepEqual(infer(t("float32", 3, 5), t("int8", 5, 4), t("float32", 1), t("int8", 4)), [{ shape: [3, 4], dtype: "float32" }]);
});

test("matmulDequantized refuses a float weight, a non-float activation and a zero point of another dtype", () => {
  assert.throws(
    () => infer(t("float32", 2, 3), t("float32", 3, 4), t("float32")),
    (e: unknown) => e instanceof DTypeError && /int8 or uint8/.test(e.message),
  );
  assert.throws(
    () => infer(t("int8", 2, 3), t("int8", 3, 4), t("float32")),
    (e: unknown) => e instanceof DTypeError && /must be float32/.test(e.message),
  );
  assert.throws(
    () => infer(t("float32", 2, 3), t("uint8", 3, 4), t("float32"), t("int8")),
    (e: unknown) => e instanceof DTypeError && /w's dtype/.test(e.message),
  );
});

test("matmulDequantized refuses shapes that do not multiply and per-row or blocked parameters", () => {
  assert.throws(
    () => infer(t("float32", 2, 3), t("int8", 4, 5), t("float32")),
    (e: unknown) => e instanceof ShapeError && /inner dimensions differ \(3 vs 4\)/.test(e.message),
  );
  assert.throws(
    () => infer(t("float32", 2, 3), t("int8", 1, 3, 5), t("float32")),
    (e: unknown) => e instanceof ShapeError && /2-D w/.test(e.message),
  );
  assert.throws(
    () => infer(t("float32", 2, 3), t("int8", 3, 5), t("float32", 3)),
    (e: unknown) => e instanceof ShapeError && /scale must be per tensor or 1-D of 5/.test(e.message),
  );
  assert.throws(
    () => infer(t("float32", 2, 3), t("int8", 3, 5), t("float32"), t("int8", 3, 5)),
    (e: unknown) => e instanceof ShapeError && /zero point must be per tensor/.test(e.message),
  );
});
