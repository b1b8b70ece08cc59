import assert from "node:assert/strict";
import { test } from "node:test";
import { randomStandardNormal, randomUnit } from "@polychip/hal";
import { run } from "../testing.ts";

test("randomUniform is the HAL stream for the seed, scaled to [low, high)", () => {
  const values = run("randomUniform", [], { shape: [4], seed: 7 });
  assert.deepEqual(
    values,
    [0, 1, 2, 3].map((i) => randomUnit(7, i)),
  );
  const scaled = run("randomUniform", [], { shape: [1000], seed: 3, low: -2, high: 6 });
  assert.ok(scaled.every((v) => v >= -2 && v < 6));
  assert.equal(scaled[5], Math.fround(-2 + Math.fround(8 * randomUnit(3, 5))));
});

test("random fills are reproducible: same seed, same bits; another seed differs", () => {
  const a = run("randomNormal", [], { shape: [16], seed: 11 });
  assert.deepEqual(run("randomNormal", [], { shape: [16], seed: 11 }), a);
  assert.notDeepEqual(run("randomNormal", [], { shape: [16], seed: 12 }), a);
});

test("element i depends only on (seed, i), not on the shape", () => {
  const small = run("randomUniform", [], { shape: [3], seed: 5 });
  const big = run("randomUniform", [], { shape: [2, 4], seed: 5 });
  assert.deepEqual(big.slice(0, 3), small);
});

test("randomNormal is mean + std·z of the HAL's normal stream", () => {
  const v = run("randomNormal", [], { shape: [3], seed: 2, mean: 1, std: 0.5 });
  assert.deepEqual(
    v,
    [0, 1, 2].map((i) => Math.fround(1 + Math.fround(0.5 * Math.fround(randomStandardNormal(2, i))))),
  );
});

test("randomNormal has roughly zero mean and unit variance", () => {
  const v = run("randomNormal", [], { shape: [20000], seed: 1 });
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
});

test("float16 random values are rounded to half precision", () => {
  const v = run("randomUniform", [], { shape: [8], seed: 9, dtype: "float16" });
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(v[i]! - randomUnit(9, i)) <= 2 ** -11);
});
