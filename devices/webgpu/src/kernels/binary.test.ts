import { test } from "node:test";
import { ints, matchesCpu, t, values } from "../testing/harness.ts";

const ARITH = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "mod", "fmod"];
const EDGE_A = [0, -0, 1, -1, 2, -3, 0.5, Infinity, -Infinity, NaN, 5, -5, 0, 7.5];
const EDGE_B = [0, 0, -0, 0, Infinity, 2, -2, 1, -Infinity, 3, -3, 0.5, NaN, -2];

for (const op of ARITH) {
  test(`${op} float32 broadcasts [2,3,1] against [4] like NumPy`, async () => {
    const lo = op === "pow" ? 0.1 : -3;
    await matchesCpu(op, [t(values(6, lo, 3, 1), [2, 3, 1]), t(values(4, 0.25, 2, 2), [4])], {}, { rtol: 1e-5 });
  });

  test(`${op} float32 follows the CPU on zeros, infinities and NaN`, async () => {
    await matchesCpu(op, [t(EDGE_A, [14]), t(EDGE_B, [14])], {}, { rtol: 1e-5 });
  });

  test(`${op} int32 matches the CPU, including division by zero and negative operands`, async () => {
    const a = [7, -7, 7, -7, 0, 5, -2147483648, 3, 100, -9];
    const b = [2, 2, -2, -2, 3, 0, -1, 4, 7, 3];
    const bb = op === "pow" ? [2, 3, 0, 1, 5, -1, 1, 4, 2, 3] : b;
    await matchesCpu(op, [t(a, [10], "int32"), t(bb, [10], "int32")]);
  });
}

test("int8 and uint8 arithmetic wraps like the typed arrays, with odd sizes across word boundaries", async () => {
  for (const op of ["add", "sub", "mul", "maximum"]) {
    await matchesCpu(op, [t(ints(13, -128, 128, 1), [13], "int8"), t(ints(13, -128, 128, 2), [13], "int8")]);
    await matchesCpu(op, [t(ints(11, 0, 256, 3), [11], "uint8"), t(ints(11, 0, 256, 4), [11], "uint8")]);
  }
});

test("float16 binary ops round to half on store", async () => {
  await matchesCpu("add", [t(values(9, -4, 4, 7), [9], "float16"), t(values(9, -4, 4, 8), [9], "float16")], {}, { rtol: 1e-3 });
  await matchesCpu("div", [t(values(5, -4, 4, 7), [5], "float16"), t([3], [1], "float16")], {}, { rtol: 1e-3 });
});

test("binary inputs may be transposed, broadcast and offset views", async () => {
  const a = values(20, -2, 2, 5);
  const b = values(20, -2, 2, 6);
  await matchesCpu("sub", [t(a, [3, 4], "float32", { strides: [1, 3], offset: 2 }), t(b, [4], "float32", { strides: [2], offset: 1 })]);
  await matchesCpu("mul", [t(a, [2, 1, 3], "float32", { strides: [5, 0, 1], offset: 4 }), t(b, [2, 3, 1], "float32", { strides: [1, 2, 7], offset: 0 })]);
  // offset 4 + strides [3, 1] reaches index 8, the last of the 9 values (never past the buffer).
  await matchesCpu("add", [t([1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 2], "int8", { strides: [3, 1], offset: 4 }), t([10, 20], [2, 1], "int8")]);
});

test("scalar operands (rank 0) broadcast everywhere", async () => {
  await matchesCpu("mul", [t([2.5], []), t(values(5, -1, 1, 3), [5])]);
  await matchesCpu("add", [t([2.5], []), t([-1], [])]);
});

test("an empty output launches nothing", async () => {
  await matchesCpu("add", [t([], [0, 3]), t([1, 2, 3], [3])]);
});
