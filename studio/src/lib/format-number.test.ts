import { test } from "node:test";
import assert from "node:assert/strict";
import { durationUnit, formatCount, formatMs, formatNumber } from "./format-number.ts";

test("counts get thousands separators, never an exponent", () => {
  assert.equal(formatCount(101770), "101,770");
  assert.equal(formatCount(1234567.4), "1,234,567");
  assert.equal(formatNumber(101770), "101,770");
});

test("ordinary numbers print briefly", () => {
  assert.equal(formatNumber(2.3456), "2.35");
  assert.equal(formatNumber(0.00028), "0.00028");
  assert.equal(formatNumber(42), "42");
  assert.equal(formatNumber(1.5), "1.5");
  assert.equal(formatNumber(123.4), "123");
});

test("durations take the unit that fits", () => {
  assert.equal(formatMs(0.00028), "280 ns");
  assert.equal(formatMs(0.0123), "12.3 µs");
  assert.equal(formatMs(12.5), "12.5 ms");
  assert.equal(formatMs(101770), "102 s");
  assert.equal(formatMs(0), "0 ms");
});

test("an axis keeps one unit for all its ticks", () => {
  const unit = durationUnit(100_000);
  assert.equal(unit.unit, "s");
  assert.deepEqual(
    [0, 20_000, 40_000].map((t) => formatMs(t, unit)),
    ["0 s", "20 s", "40 s"],
  );
});
