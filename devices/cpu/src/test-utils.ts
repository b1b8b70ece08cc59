import assert from "node:assert/strict";

/** Elementwise |a - e| <= atol + rtol·|e|, with NaN matching NaN and infinities matching exactly. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-6, rtol = 1e-6): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `[${i}]: expected NaN, got ${a}`);
    else if (!Number.isFinite(e)) assert.equal(a, e, `[${i}]: expected ${e}, got ${a}`);
    else if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      assert.fail(`[${i}]: expected ${e}, got ${a} (in [${Array.from(actual).slice(0, 64).join(", ")}])`);
    }
  }
}

/** Deterministic pseudo-random values in [-1, 1) for property tests. */
export function randomValues(n: number, seed = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  });
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
