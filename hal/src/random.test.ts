import assert from "node:assert/strict";
import { test } from "node:test";
import { randomBits, randomStandardNormal, randomUnit } from "./random.ts";

const draws = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

test("the stream is pinned: these values are the spec a device kernel must reproduce bit for bit", () => {
  assert.equal(randomBits(0, 0), 2856213345);
  assert.equal(randomBits(0, 1), 2571116460);
  assert.equal(randomBits(42, 7), 2293311113);
  assert.equal(randomBits(123456789, 1000), 2210019805);
  assert.equal(randomUnit(42, 7), 0.533953070640564);
});

test("element i depends only on (seed, i), whatever order the elements are drawn in", () => {
  const forward = draws(100, (i) => randomUnit(9, i));
  const backward = draws(100, (i) => randomUnit(9, 99 - i)).reverse();
  assert.deepEqual(forward, backward);
});

test("different seeds give different streams", () => {
  const a = draws(64, (i) => randomBits(1, i));
  const b = draws(64, (i) => randomBits(2, i));
  assert.ok(a.filter((x, i) => x === b[i]).length < 2);
});

test("seeds are taken as unsigned 32-bit integers", () => {
  assert.equal(randomBits(-1, 5), randomBits(0xffffffff, 5));
});

test("uniform draws lie in [0, 1), are float32-exact and have mean 0.5", () => {
  const xs = draws(10000, (i) => randomUnit(7, i));
  assert.ok(xs.every((x) => x >= 0 && x < 1 && Math.fround(x) === x));
  assert.ok(Math.abs(mean(xs) - 0.5) < 0.01, `mean ${mean(xs)}`);
  const lowQuarter = xs.filter((x) => x < 0.25).length / xs.length;
  assert.ok(Math.abs(lowQuarter - 0.25) < 0.02, `P(x < 0.25) = ${lowQuarter}`);
});

test("normal draws are finite with mean 0 and standard deviation 1", () => {
  const xs = draws(10000, (i) => randomStandardNormal(3, i));
  assert.ok(xs.every(Number.isFinite));
  const m = mean(xs);
  const std = Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
  assert.ok(Math.abs(m) < 0.03, `mean ${m}`);
  assert.ok(Math.abs(std - 1) < 0.03, `std ${std}`);
  const withinOne = xs.filter((x) => Math.abs(x) < 1).length / xs.length;
  assert.ok(Math.abs(withinOne - 0.6827) < 0.02, `P(|x| < 1) = ${withinOne}`);
});
