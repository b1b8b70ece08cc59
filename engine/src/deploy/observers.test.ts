import assert from "node:assert/strict";
import { test } from "node:test";
import { MinMaxObserver, PercentileObserver, createObserver } from "./observers.ts";

test("the min/max observer keeps the exact extremes over every batch and ignores NaN and infinities", () => {
  const obs = new MinMaxObserver();
  obs.observe([0.5, -2, NaN]);
  obs.observe(Float32Array.of(3, Infinity, -Infinity, 1));
  assert.deepEqual(obs.range(), { min: -2, max: 3 });
  assert.deepEqual(new MinMaxObserver().range(), { min: 0, max: 0 }, "nothing seen: an empty range at 0");
});

test("the percentile observer cuts the outliers a min/max observer would stretch the scale to", () => {
  const values = Float32Array.from({ length: 100_000 }, (_, i) => (i % 1000) / 1000); // uniform on [0, 1)
  values[0] = 50; // one outlier
  values[1] = -40;
  const p = new PercentileObserver(99.9);
  const m = new MinMaxObserver();
  p.observe(values);
  m.observe(values);
  assert.deepEqual(m.range(), { min: -40, max: 50 });
  const { min, max } = p.range();
  assert.ok(Math.abs(max - 0.999) < 0.01, `99.9th percentile ${max}`);
  assert.ok(Math.abs(min - 0.001) < 0.01, `0.1th percentile ${min}`);
});

test("the percentile observer gives the same range whatever the order of the batches (its histogram merges exactly)", () => {
  const a = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 0.01);
  const b = Float32Array.from({ length: 5000 }, (_, i) => Math.cos(i) * 30);
  const forward = new PercentileObserver(99);
  forward.observe(a);
  forward.observe(b);
  const backward = new PercentileObserver(99);
  backward.observe(b);
  backward.observe(a);
  assert.deepEqual(forward.range(), backward.range());
  assert.ok(forward.range().max > 29 && forward.range().max <= 30);
});

test("observers are made by name; a bad name or percentile is refused", () => {
  assert.ok(createObserver("minmax") instanceof MinMaxObserver);
  assert.equal((createObserver("percentile", 99.5) as PercentileObserver).percentile, 99.5);
  assert.throws(() => createObserver("kl" as never), /unknown observer 'kl' \(observers: minmax, percentile\)/);
  assert.throws(() => new PercentileObserver(40), /percentile must lie in \(50, 100\], got 40/);
});
