import assert from "node:assert/strict";
import { test } from "node:test";
import type { DType } from "../dtype.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { getOp } from "./index.ts";

const t = (dtype: DType, ...shape: number[]) => ({ shape, dtype });
const infer = (...inputs: { shape: number[]; dtype: DType }[]) => getOp("integerMatmul").infer(inputs, {});

test("integerMatmul infers int32 [..., M, N] for int8 and uint8 operands", () => {
  assert.deepEqual(infer(t("uint8", 7, 288), t("int8", 288, 32)), [{ shape: [7, 32], dtype: "int32" }]);
  assert.deepEqual(infer(t("int8", 2, 3, 5), t("uint8", 2, 5, 4), t("int8"), t("uint8", 4)), [{ shape: [2, 3, 4], dtype: "int32" }]);
  assert.deepEqual(infer(t("uint8", 3, 5), t("uint8", 5, 4), t("uint8", 3), t("uint8", 1)), [{ shape: [3, 4], dtype: "int32" }]);
});

test("integerMatmul refuses float operands and zero points of another dtype", () => {
  assert.throws(
    () => infer(t("float32", 2, 3), t("int8", 3, 4)),
    (e: unknown) => e instanceof DTypeError && /int8 or uint8/.test(e.message),
  );
  assert.throws(
    () => infer(t("uint8", 2, 3), t("int8", 3, 4), t("int8")),
    (e: unknown) => e instanceof DTypeError && /operand's dtype/.test(e.message),
  );
});

test("integerMatmul refuses shapes that do not multiply and zero points of the wrong length", () => {
  assert.throws(
    () => infer(t("int8", 2, 3), t("int8", 4, 5)),
    (e: unknown) => e instanceof ShapeError && /inner dimensions differ \(3 vs 4\)/.test(e.message),
  );
  assert.throws(
    () => infer(t("int8", 2, 2, 3), t("int8", 3, 3, 5)),
    (e: unknown) => e instanceof ShapeError && /batch dimensions differ/.test(e.message),
  );
  assert.throws(
    () => infer(t("int8", 2, 3), t("int8", 3, 5), t("int8", 3)),
    (e: unknown) => e instanceof ShapeError && /1-D of 2 \(rows of a\)/.test(e.message),
  );
  assert.throws(
    () => infer(t("int8", 2, 3), t("int8", 3, 5), t("int8"), t("int8", 2, 5)),
    (e: unknown) => e instanceof ShapeError && /1-D of 5 \(columns of b\)/.test(e.message),
  );
});
