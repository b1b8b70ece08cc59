import { test } from "node:test";
import { matchesCpu, t, values } from "../testing/harness.ts";

const FLOAT_OPS = ["neg", "abs", "sign", "exp", "sin", "cos", "tanh", "sigmoid", "relu", "erf", "floor", "ceil", "round"];
// Values where the HAL pins the result: zeros, infinities, NaN, halves for round, domain edges for log/sqrt.
const EDGES = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 1e-30, -1e-30, 100, -100, 1e30, Infinity, -Infinity, NaN];

for (const op of FLOAT_OPS) {
  test(`${op} float32 matches the CPU over odd-sized ranges and edge values`, async () => {
    await matchesCpu(op, [t(values(37, -4, 4, op.length), [37])], {}, { rtol: 2e-6, atol: 2e-7 });
    // sin and cos of huge arguments need more than float32 range reduction: the device promises |x| <= 65536.
    const edges = op === "sin" || op === "cos" ? EDGES.filter((x) => !(Math.abs(x) > 65536)) : EDGES;
    await matchesCpu(op, [t(edges, [edges.length])], {}, { rtol: 2e-6, atol: 2e-7 });
  });
}

test("sin and cos stay accurate over many periods", async () => {
  const xs = values(64, -1000, 1000, 4);
  await matchesCpu("sin", [t(xs, [64])], {}, { atol: 2e-6 });
  await matchesCpu("cos", [t(xs, [64])], {}, { atol: 2e-6 });
});

for (const op of ["log", "sqrt", "rsqrt", "reciprocal"]) {
  test(`${op} float32 follows the HAL at its domain edges`, async () => {
    await matchesCpu(op, [t(values(37, 0.01, 50, 3), [37])], {}, { rtol: 2e-6 });
    await matchesCpu(op, [t(EDGES, [EDGES.length])], {}, { rtol: 2e-6 });
  });
}

test("isNaN gives bool, packed four to a word", async () => {
  await matchesCpu("isNaN", [t([1, NaN, Infinity, NaN, 0, -NaN, 3], [7])]);
});

test("integer unary ops wrap like the CPU", async () => {
  const xs = [0, 1, -1, 7, -7, 2147483647, -2147483648];
  for (const op of ["neg", "abs", "sign", "relu"]) await matchesCpu(op, [t(xs, [7], "int32")]);
  for (const op of ["neg", "abs", "sign", "relu"]) await matchesCpu(op, [t([0, 1, -1, 127, -128, 5], [6], "int8")]);
  for (const op of ["abs", "sign", "relu"]) await matchesCpu(op, [t([0, 1, 255, 128, 5], [5], "uint8")]);
});

test("logicalNot on bool", async () => {
  await matchesCpu("logicalNot", [t([1, 0, 0, 1, 1], [5], "bool")]);
});

test("float16 unary ops compute in float32 and round to half on store", async () => {
  for (const op of ["exp", "tanh", "sqrt", "neg"]) await matchesCpu(op, [t(values(9, 0, 3, 5), [9], "float16")], {}, { rtol: 1e-3 });
});

test("unary ops read strided views (transpose, broadcast, offset)", async () => {
  const xs = values(24, -2, 2, 9);
  await matchesCpu("exp", [t(xs, [4, 3], "float32", { strides: [1, 4], offset: 0 })], {}, { rtol: 2e-6 });
  await matchesCpu("neg", [t(xs, [2, 3, 4], "float32", { strides: [0, 4, 1], offset: 5 })]);
  await matchesCpu("abs", [t(xs, [3, 2], "float32", { strides: [-4, 2], offset: 20 })]);
  await matchesCpu("logicalNot", [t([1, 0, 1, 1, 0, 0, 1], [2, 3], "bool", { strides: [1, 2], offset: 1 })]);
});
