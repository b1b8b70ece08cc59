import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError } from "../errors.ts";
import { getOp } from "./index.ts";

const infer = (shape: number[], dtype: "float32" | "float16" | "int32") => getOp("dynamicQuantizeLinear").infer([{ shape, dtype }], {});

test("dynamicQuantizeLinear infers uint8 values of x's shape, a float32 scale and a uint8 zero point", () => {
  assert.deepEqual(infer([1, 19, 288], "float32"), [
    { shape: [1, 19, 288], dtype: "uint8" },
    { shape: [], dtype: "float32" },
    { shape: [], dtype: "uint8" },
  ]);
  assert.deepEqual(infer([], "float32")[0], { shape: [], dtype: "uint8" });
});

test("dynamicQuantizeLinear refuses an x that is not float32", () => {
  for (const dtype of ["float16", "int32"] as const) {
    assert.throws(
      () => infer([2, 3], dtype),
      (e: unknown) => e instanceof DTypeError && /dynamicQuantizeLinear: x must be float32/.test(e.message),
    );
  }
});
