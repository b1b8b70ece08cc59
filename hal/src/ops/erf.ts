/**
 * Gauss error function in float64. The power series is exact to a few ulp but needs tens of
 * terms per value, up to ~150 near |x| = 6 (it was a third of a GELU transformer's run), so erf
 * is read from a table of Taylor expansions around every 1/32 on [0, 6], whose centre values come
 * from the series: |x − centre| ≤ 1/64 makes a degree-11 polynomial reach float64 precision.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** The series Σ (2x²)ⁿ x / (2n+1)!! · 2/√π · e^(−x²), all terms positive (no cancellation); for 0 ≤ x < 6. */
export function erfSeries(ax: number): number {
  let term = ax;
  let sum = ax;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * ax * ax) / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-ax * ax) * sum;
}

const STEPS_PER_UNIT = 32;
const CENTRES = 6 * STEPS_PER_UNIT + 1;
/** Coefficients c₀…c₁₁ of the Taylor polynomial in h = x − centre, per centre. */
const TERMS = 12;
/** The table's shape, for devices that evaluate erf from the same table (the cpu device's WASM loops). */
export const ERF_TABLE_LAYOUT = { stepsPerUnit: STEPS_PER_UNIT, centres: CENTRES, terms: TERMS, limit: 6 } as const;

/**
 * c₀ = erf(x₀); c_k = erf⁽ᵏ⁾(x₀)/k! with erf⁽ᵏ⁾(x) = 2/√π · (−1)ᵏ⁻¹ Hₖ₋₁(x) e^(−x²) (physicists'
 * Hermite polynomials, by their recurrence Hₙ₊₁ = 2x Hₙ − 2n Hₙ₋₁).
 */
function taylorTable(): Float64Array {
  const table = new Float64Array(CENTRES * TERMS);
  for (let i = 0; i < CENTRES; i++) {
    const x0 = i / STEPS_PER_UNIT;
    const scale = TWO_OVER_SQRT_PI * Math.exp(-x0 * x0);
    table[i * TERMS] = erfSeries(x0);
    let previous = 1;
    let hermite = 1;
    let factorial = 1;
    for (let k = 1; k < TERMS; k++) {
      factorial *= k;
      table[i * TERMS + k] = ((k % 2 === 1 ? 1 : -1) * scale * hermite) / factorial;
      const next = 2 * x0 * hermite - 2 * (k - 1) * previous;
      previous = hermite;
      hermite = k === 1 ? 2 * x0 : next;
    }
  }
  return table;
}

const TABLE = taylorTable();

/** The coefficients erf reads: centre i's c₀…c₁₁ at [i·terms, (i + 1)·terms). A copy, so callers cannot change erf. */
export function erfTaylorTable(): Float64Array {
  return TABLE.slice();
}

/** erf(x): NaN for NaN, ±1 beyond |x| = 6, keeps the sign of zero. */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  // The nearest centre (ax · 32 + 0.5 is positive and small, so truncation is floor).
  const i = (ax * STEPS_PER_UNIT + 0.5) | 0;
  const h = ax - i / STEPS_PER_UNIT;
  const t = i * TERMS;
  // Estrin's scheme: independent pairs, so the multiplies overlap instead of waiting on one chain.
  const h2 = h * h;
  const h4 = h2 * h2;
  const q0 = TABLE[t]! + h * TABLE[t + 1]! + h2 * (TABLE[t + 2]! + h * TABLE[t + 3]!);
  const q1 = TABLE[t + 4]! + h * TABLE[t + 5]! + h2 * (TABLE[t + 6]! + h * TABLE[t + 7]!);
  const q2 = TABLE[t + 8]! + h * TABLE[t + 9]! + h2 * (TABLE[t + 10]! + h * TABLE[t + 11]!);
  const r = q0 + h4 * (q1 + h4 * q2);
  return x < 0 ? -r : x === 0 ? x : r;
}
