import assert from "node:assert/strict";
import { test } from "node:test";
import { erf, erfSeries } from "./erf.ts";

test("erf from the table rounds to the same float32 as the power series across [0, 6)", () => {
  for (let j = 0; j < 600_000; j++) {
    const x = Math.fround(j / 100_000 + 3.1e-7);
    const want = erfSeries(x);
    const got = erf(x);
    assert.equal(Math.fround(got), Math.fround(want), `erf(${x})`);
    assert.ok(Math.abs(got - want) <= 4e-15 * want, `erf(${x}) = ${got}, series ${want}`);
  }
});

test("erf matches known values and is odd", () => {
  // erf(0.5), erf(1), erf(2) as C's libm gives them, within a few ulp.
  assert.ok(Math.abs(erf(0.5) - 0.5204998778130465) < 3e-16);
  assert.ok(Math.abs(erf(1) - 0.8427007929497149) < 3e-16);
  assert.ok(Math.abs(erf(2) - 0.9953222650189527) < 5e-16);
  assert.equal(erf(-1), -erf(1));
  assert.equal(erf(-0.123), -erf(0.123));
});

test("erf keeps NaN, the sign of zero and saturates at |x| ≥ 6", () => {
  assert.ok(Number.isNaN(erf(Number.NaN)));
  assert.ok(Object.is(erf(-0), -0));
  assert.ok(Object.is(erf(0), 0));
  assert.equal(erf(6), 1);
  assert.equal(erf(-7), -1);
  assert.equal(erf(Number.POSITIVE_INFINITY), 1);
  assert.equal(erf(Number.NEGATIVE_INFINITY), -1);
});
