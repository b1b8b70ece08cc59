import { test } from "node:test";
import type { DType } from "@polychip/hal";
import { program, wasmEqualsJavaScript } from "../fused-test-helpers.ts";
import type { HostInput } from "../testing.ts";
import { randomValues } from "../test-utils.ts";
import { fusedRunsInWasm } from "./fused.ts";

const assertWasmEqualsJavaScript = wasmEqualsJavaScript(fusedRunsInWasm);

/** `n` values: the edge cases in turn, every third element, random ones of magnitude `scale` between. */
function values(seed: number, n: number, edges: readonly number[], scale: number, dtype: DType): number[] {
  const random = randomValues(n, seed);
  return random.map((v, i) => {
    const x = i % 3 === 0 ? edges[(i / 3) % edges.length]! : v * scale;
    if (dtype === "float32") return Math.fround(x);
    if (dtype === "uint8") return Math.round(Math.abs(x)) & 255;
    if (dtype === "int8") return (Math.round(x) << 24) >> 24;
    return Math.round(x) | 0;
  });
}

const tensor = (dtype: DType, shape: number[], data: number[]): HostInput => ({ values: data, shape, dtype });

const FLOAT_EDGES = [NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, 2.5, -2.5, 127.5, 128, -128.5, -129, 254.5, 255.5, 256, -1e-30, 1e30];
const INT32_EDGES = [0, 1, -1, 2147483647, -2147483648, 2147483646, -2147483647, 16777217, -16777217, 33554435, 255, 256, -128, 127, -129, 128];

const c = (value: number, to: DType = "float32") => ({ op: "const", args: [], value, to });

test("DynamicQuantizeLinear's chain (divide, round half to even, add the zero point, clip, cast to uint8 and back, subtract) equals JavaScript", () => {
  const attrs = program(
    [
      c(0), // 4
      c(255), // 5
      { op: "div", args: [0, 1] }, // 6
      { op: "round", args: [6] }, // 7
      { op: "add", args: [7, 2] }, // 8
      { op: "maximum", args: [8, 4] }, // 9
      { op: "minimum", args: [9, 5] }, // 10
      { op: "cast", args: [10], to: "uint8" }, // 11
      { op: "cast", args: [11], to: "float32" }, // 12
      { op: "sub", args: [12, 3] }, // 13
    ],
    [13, 11],
  );
  for (const n of [1031, 3, 70_001]) {
    const x = tensor("float32", [n], values(1, n, FLOAT_EDGES, 300, "float32"));
    assertWasmEqualsJavaScript(attrs, [x, tensor("float32", [], [0.5]), tensor("float32", [], [128]), tensor("float32", [], [128])]);
  }
});

test("a ConvInteger / MatMulInteger product: cast to int32 and to float32, scale, bias and relu, with the bias per row", () => {
  const attrs = program(
    [
      { op: "cast", args: [0], to: "int32" }, // 3
      { op: "cast", args: [3], to: "float32" }, // 4
      { op: "mul", args: [4, 1] }, // 5
      { op: "add", args: [5, 2] }, // 6
      { op: "relu", args: [6] }, // 7
    ],
    [7, 3],
  );
  const rows = 37;
  const cols = 29;
  const bias = tensor("float32", [rows, 1], values(3, rows, [0, -1], 2, "float32"));
  assertWasmEqualsJavaScript(attrs, [tensor("int32", [rows, cols], values(2, rows * cols, INT32_EDGES, 1e6, "int32")), tensor("float32", [], [0.0123]), bias]);
  // The float32 product of a conv as ISNet's epilogue casts it: to int32 as JavaScript's `x | 0`, wrapping beyond 2^31.
  const big = [...FLOAT_EDGES, 2 ** 31, -(2 ** 31), 2 ** 31 - 128, 3e9, -3e9, 5e9, -5e9, 2 ** 32, 2 ** 32 + 512, 1e10, -1e10, 2 ** 63, 1e20];
  assertWasmEqualsJavaScript(attrs, [tensor("float32", [rows, cols], values(4, rows * cols, big, 1e5, "float32")), tensor("float32", [], [0.5]), bias]);
});

test("float32 to int8, uint8, int32 and bool, and back: saturation, NaN to 0, truncation toward zero", () => {
  const casts = (["int8", "uint8", "int32", "bool"] as const).map((to, k) => ({ op: "cast", args: [0], to, k }));
  const attrs = program(
    [
      ...casts.map(({ op, args, to }) => ({ op, args, to })), // 1..4
      ...[1, 2, 3, 4].map((v) => ({ op: "cast", args: [v], to: "float32" })), // 5..8
    ],
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  const big = [...FLOAT_EDGES, 127.9, -128.9, 255.9, 3e9, -3e9, 2 ** 31, -(2 ** 31) - 256];
  assertWasmEqualsJavaScript(attrs, [tensor("float32", [515], values(5, 515, big, 400, "float32"))]);
});

test("integer casts between int32, uint8, int8 and bool saturate as the JavaScript loop does", () => {
  const targets: DType[] = ["int32", "uint8", "int8", "bool"];
  for (const from of ["int32", "uint8", "int8"] as DType[]) {
    const attrs = program(
      targets.map((to) => ({ op: "cast", args: [0], to })),
      [1, 2, 3, 4],
    );
    const x = tensor(from, [263], values(6, 263, INT32_EDGES, 1000, from));
    assertWasmEqualsJavaScript(attrs, [x]);
    // bool back to every integer dtype.
    const back = program([{ op: "cast", args: [0], to: "bool" }, ...targets.slice(0, 3).map((to) => ({ op: "cast", args: [1], to }))], [2, 3, 4]);
    assertWasmEqualsJavaScript(back, [x]);
  }
});

test("uint8 and int8 arithmetic wraps to 8 bits; maximum, minimum and comparisons see the stored values", () => {
  for (const dtype of ["uint8", "int8"] as DType[]) {
    const attrs = program(
      [
        { op: "add", args: [0, 1] }, // 3
        { op: "sub", args: [0, 1] }, // 4
        { op: "mul", args: [0, 1] }, // 5
        dtype === "int8" ? { op: "neg", args: [0] } : { op: "sub", args: [1, 0] }, // 6 (uint8 has no neg)
        { op: "abs", args: [4] }, // 7
        { op: "relu", args: [4] }, // 8
        { op: "maximum", args: [0, 2] }, // 9
        { op: "minimum", args: [0, 2] }, // 10
        { op: "less", args: [0, 1] }, // 11
        { op: "greaterEqual", args: [0, 2] }, // 12
        { op: "where", args: [11, 5, 3] }, // 13
        { op: "equal", args: [4, 3] }, // 14
        c(dtype === "uint8" ? 200 : -100, dtype), // 15
        { op: "add", args: [0, 15] }, // 16
      ],
      [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16],
    );
    const edges = [0, 255, 127, -128, -1, 1, 128, 200];
    const inputs = [
      tensor(dtype, [9, 31], values(7, 279, edges, 300, dtype)),
      tensor(dtype, [9, 31], values(8, 279, [...edges].reverse(), 300, dtype)),
      tensor(dtype, [31], values(9, 31, edges, 300, dtype)),
    ];
    assertWasmEqualsJavaScript(attrs, inputs);
  }
});

test("int32 add, sub, mul and neg wrap at 32 bits; a scalar and a broadcast column as inputs", () => {
  const attrs = program(
    [
      { op: "add", args: [0, 1] }, // 3
      { op: "sub", args: [3, 2] }, // 4
      { op: "mul", args: [4, 0] }, // 5
      { op: "neg", args: [5] }, // 6
      { op: "abs", args: [0] }, // 7
      { op: "greater", args: [6, 1] }, // 8
      { op: "notEqual", args: [7, 0] }, // 9
      c(-2e9, "int32"), // 10
      { op: "lessEqual", args: [10, 2] }, // 11
      { op: "minimum", args: [10, 0] }, // 12
    ],
    [3, 4, 5, 6, 7, 8, 9, 11, 12],
  );
  const x = tensor("int32", [13, 17], values(10, 221, INT32_EDGES, 3e9, "int32"));
  assertWasmEqualsJavaScript(attrs, [x, tensor("int32", [], [2147483000]), tensor("int32", [13, 1], values(11, 13, INT32_EDGES, 3e9, "int32"))]);
});
