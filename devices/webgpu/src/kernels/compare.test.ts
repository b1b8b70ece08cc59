import { test } from "node:test";
import { ints, matchesCpu, t, values } from "../testing/harness.ts";

const COMPARE = ["equal", "notEqual", "less", "lessEqual", "greater", "greaterEqual"];

for (const op of COMPARE) {
  test(`${op} on floats treats NaN as unequal to everything`, async () => {
    const a = [0, -0, 1, NaN, NaN, Infinity, -Infinity, 2, 3, 1];
    const b = [-0, 0, NaN, 1, NaN, Infinity, 5, 2, 1, 3];
    await matchesCpu(op, [t(a, [10]), t(b, [10])]);
  });

  test(`${op} on int32, int8 and uint8 with broadcasting`, async () => {
    await matchesCpu(op, [t(ints(12, -5, 5, 1), [3, 4], "int32"), t(ints(4, -5, 5, 2), [4], "int32")]);
    await matchesCpu(op, [t(ints(9, -128, 128, 3), [9], "int8"), t(ints(9, -128, 128, 4), [9], "int8")]);
    await matchesCpu(op, [t(ints(9, 0, 256, 3), [9], "uint8"), t(ints(1, 0, 256, 4), [1], "uint8")]);
  });
}

test("equal and notEqual compare bools", async () => {
  await matchesCpu("equal", [t([1, 0, 1, 0, 1], [5], "bool"), t([1, 1, 0, 0, 1], [5], "bool")]);
  await matchesCpu("notEqual", [t([1, 0, 1, 0, 1], [5], "bool"), t([1], [1], "bool")]);
});

for (const op of ["logicalAnd", "logicalOr", "logicalXor"]) {
  test(`${op} on broadcast bool views`, async () => {
    await matchesCpu(op, [t([1, 0, 1, 0, 1, 1], [2, 3], "bool"), t([1, 0, 1], [3], "bool")]);
    await matchesCpu(op, [t([1, 0, 1, 0, 1, 1, 0], [3, 2], "bool", { strides: [1, 3], offset: 1 }), t([0, 1, 1], [3, 1], "bool")]);
  });
}

test("comparisons of float16 values", async () => {
  await matchesCpu("less", [t(values(7, -1, 1, 1), [7], "float16"), t(values(7, -1, 1, 2), [7], "float16")]);
});
