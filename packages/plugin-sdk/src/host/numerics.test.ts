import assert from "node:assert/strict";
import { test } from "node:test";
import { castValue, roundHalfToEven, saturate } from "./numerics.ts";

test("roundHalfToEven sends ties to the even neighbour", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfToEven), [0, 2, 2, -0, -2, 2, 3]);
});

test("saturate clamps integers to the dtype and maps NaN to 0", () => {
  assert.deepEqual(
    [300, -300, NaN, 5].map((v) => saturate(v, "int8")),
    [127, -128, 0, 5],
  );
  assert.equal(saturate(-1, "uint8"), 0);
  assert.equal(saturate(1e10, "float32"), 1e10);
});

test("castValue follows the HAL cast rule", () => {
  assert.equal(castValue(-2.7, "int8"), -2);
  assert.equal(castValue(1000.5, "uint8"), 255);
  assert.equal(castValue(NaN, "bool"), 1);
  assert.equal(castValue(0, "bool"), 0);
});
