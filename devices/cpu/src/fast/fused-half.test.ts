import { test } from "node:test";
import { float16BitsToFloat32, type DType } from "@polychip/hal";
import { input, program, wasmEqualsJavaScript } from "../fused-test-helpers.ts";
import type { HostInput } from "../testing.ts";
import { fusedRunsInWasm } from "./fused.ts";

const assertWasmEqualsJavaScript = wasmEqualsJavaScript(fusedRunsInWasm);

const tensor = (dtype: DType, data: number[]): HostInput => ({ values: data, shape: [data.length], dtype });
const EVERY_HALF = Array.from({ length: 65536 }, (_, bits) => float16BitsToFloat32(bits));

test("every float16 bit pattern loads as its float32 value and stores back unchanged", () => {
  const attrs = program(
    [
      { op: "cast", args: [0], to: "float32" },
      { op: "maximum", args: [0, 0] },
    ],
    [1, 2],
  );
  assertWasmEqualsJavaScript(attrs, [tensor("float16", EVERY_HALF)]);
});

test("float32 to float16 rounds to nearest even: every midpoint between halves, a float32 ulp either side, overflow and underflow", () => {
  const finite = EVERY_HALF.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const values: number[] = [NaN, Infinity, -Infinity, 65519.99, 65520, 1e6, -1e6, 1e-9, -1e-9, 2 ** -25, 2 ** -26, 3 * 2 ** -26];
  for (let k = 0; k + 1 < finite.length; k += 7) {
    const mid = Math.fround((finite[k]! + finite[k + 1]!) / 2);
    const ulp = Math.fround(Math.abs(mid) * 2 ** -23) || 2 ** -149;
    values.push(mid, Math.fround(mid + ulp), Math.fround(mid - ulp));
  }
  const attrs = program([{ op: "cast", args: [0], to: "float16" }], [1]);
  assertWasmEqualsJavaScript(attrs, [tensor("float32", values)]);
});

test("float16 arithmetic rounds each step once to half, as the JavaScript loop does", () => {
  const attrs = program(
    [
      { op: "mul", args: [0, 1] }, // 3
      { op: "add", args: [3, 2] }, // 4
      { op: "relu", args: [4] }, // 5
      { op: "div", args: [0, 2] }, // 6
      { op: "sqrt", args: [0] }, // 7
      { op: "sub", args: [0, 2] }, // 8
      { op: "less", args: [0, 2] }, // 9
      { op: "where", args: [9, 6, 7] }, // 10
      { op: "cast", args: [4], to: "uint8" }, // 11
      { op: "cast", args: [4], to: "float32" }, // 12
      { op: "round", args: [6] }, // 13
    ],
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
  );
  // Random halves with every eleventh element an arbitrary bit pattern (subnormals, NaN, ±Inf, 65504).
  const random = input(1, [23, 37], "float16", 300);
  const x = { ...random, values: Array.from(random.values, (v: number, i) => (i % 11 === 0 ? EVERY_HALF[(i * 977) % 65536]! : v)) };
  assertWasmEqualsJavaScript(attrs, [x, input(2, [], "float16", 2), input(3, [37], "float16", 40)]);
});

test("int32 and uint8 to float16: rounded once, large values to infinity", () => {
  const attrs = program(
    [
      { op: "cast", args: [0], to: "float16" },
      { op: "cast", args: [1], to: "float16" },
      { op: "cast", args: [2], to: "int32" },
    ],
    [3, 4, 5],
  );
  const ints = Array.from({ length: 301 }, (_, i) => [0, 1, -1, 2049, 2051, 65504, 65519, 65520, 70000, -2147483648, 2147483647, 4097, -4099][i % 13]!);
  const bytes = Array.from({ length: 301 }, (_, i) => (i * 37) % 256);
  assertWasmEqualsJavaScript(attrs, [
    tensor("int32", ints),
    tensor("uint8", bytes),
    tensor(
      "float16",
      EVERY_HALF.slice(0, 301).map((_, i) => EVERY_HALF[(i * 331) % 65536]!),
    ),
  ]);
});
