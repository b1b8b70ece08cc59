import assert from "node:assert/strict";
import { test } from "node:test";
import { DTYPES } from "@polychip/hal";
import { matchesCpu, runGpu, t, values } from "../testing/harness.ts";

test("where broadcasts condition and both branches", async () => {
  await matchesCpu("where", [t([1, 0, 1], [3], "bool"), t(values(6, -1, 1, 1), [2, 3]), t([9], [1])]);
  await matchesCpu("where", [t([1, 0], [2, 1], "bool"), t([1, 2, 3], [3], "int8"), t([-1, -2, -3, -4, -5, -6], [2, 3], "int8")]);
  await matchesCpu("where", [t([0, 1, 1, 0, 1], [5], "bool"), t([1, 1, 1, 1, 1], [5], "bool"), t([0, 0, 0, 0, 0], [5], "bool")]);
});

const CAST_SOURCES: Record<string, number[]> = {
  float32: [0, -0, 1.7, -1.7, 200.5, -200.5, 300, -3e9, 3e9, 5e9, NaN, Infinity, -Infinity, 0.25],
  float16: [0, 1.5, -2.5, 300, -300, 65504, NaN, Infinity],
  int32: [0, 1, -1, 127, 128, -129, 255, 256, 2147483647, -2147483648, 40000],
  int8: [0, 1, -1, 127, -128],
  uint8: [0, 1, 127, 128, 255],
  bool: [0, 1, 1, 0, 1],
};

for (const from of DTYPES) {
  test(`cast from ${from} to every dtype follows the HAL cast rule`, async () => {
    const xs = CAST_SOURCES[from]!;
    for (const to of DTYPES) await matchesCpu("cast", [t(xs, [xs.length], from)], { to });
  });
}

test("cast reads a strided view", async () => {
  await matchesCpu("cast", [t(values(12, -100, 100, 2), [3, 2], "float32", { strides: [1, 4], offset: 3 })], { to: "int8" });
});

test("copy gathers a transposed view into a contiguous output", async () => {
  await matchesCpu("copy", [t(values(12), [4, 3], "float32", { strides: [1, 4], offset: 0 })]);
  await matchesCpu("copy", [t([1, 2, 3, 4, 5, 6], [3, 2], "uint8", { strides: [1, 3], offset: 0 })]);
});

test("copy writes into a strided slice of an existing buffer, leaving the rest", async () => {
  const into = t(new Array(12).fill(7), [2, 3], "float32", { strides: [6, 2], offset: 1 });
  await matchesCpu("copy", [t([1, 2, 3, 4, 5, 6], [2, 3])], {}, { into });
});

test("copy of bytes into a strided slice keeps neighbouring bytes intact", async () => {
  const into = t(new Array(13).fill(9), [3, 2], "int8", { strides: [4, 2], offset: 1 });
  await matchesCpu("copy", [t([-1, -2, -3, -4, -5, -6], [3, 2], "int8")], {}, { into });
  const halves = t(new Array(9).fill(0.5), [2, 2], "float16", { strides: [4, 1], offset: 3 });
  await matchesCpu("copy", [t([1, 2, 3, 4], [2, 2], "float16")], {}, { into: halves });
});

test("copy into a contiguous slice at an odd byte offset", async () => {
  const into = t(new Array(11).fill(1), [5], "bool", { strides: [1], offset: 3 });
  await matchesCpu("copy", [t([0, 0, 1, 0, 0], [5], "bool")], {}, { into });
});

test("fill writes the cast value for every dtype", async () => {
  for (const dtype of DTYPES) {
    await matchesCpu("fill", [], { shape: [3, 5], dtype, value: -2.75 });
    await matchesCpu("fill", [], { shape: [7], dtype, value: 300 });
  }
  await matchesCpu("fill", [], { shape: [2], dtype: "float32", value: NaN });
});

test("randomUniform matches the CPU stream bit for bit", async () => {
  for (const attrs of [
    { seed: 42, low: 0, high: 1 },
    { seed: 7, low: -2, high: 3 },
    { seed: 2 ** 32 - 1, low: 0.1, high: 0.3 },
  ]) {
    await matchesCpu("randomUniform", [], { shape: [5, 41], dtype: "float32", ...attrs }, { rtol: 0, atol: 0 });
  }
});

test("randomUniform is uniform-looking and in range", async () => {
  const [out] = await runGpu("randomUniform", [], { shape: [4096], dtype: "float32", seed: 3, low: -1, high: 1 });
  const xs = Array.from(out!.values);
  assert.ok(xs.every((x) => x >= -1 && x < 1));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
});

test("randomNormal matches the CPU within float tolerance", async () => {
  await matchesCpu("randomNormal", [], { shape: [3, 67], dtype: "float32", seed: 11, mean: 1, std: 2 }, { rtol: 1e-5, atol: 2e-5 });
  await matchesCpu("randomNormal", [], { shape: [9], dtype: "float16", seed: 5 }, { rtol: 2e-3 });
});

test("random fills cast to integer dtypes by the cast rule", async () => {
  await matchesCpu("randomUniform", [], { shape: [33], dtype: "int32", seed: 9, low: -50, high: 50 });
  await matchesCpu("randomUniform", [], { shape: [33], dtype: "uint8", seed: 9, low: -50, high: 300 });
});
