import { isFloat, type DType } from "@polychip/hal";

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/**
 * Per-dtype tolerances: float32 ~1e-5 relative, float16 ~1e-3 (about one half-precision ulp),
 * integers and bool exact. `accumulation` (the size of the sums behind each output) widens the
 * absolute part, because a device may sum in any order.
 */
export function toleranceFor(dtype: DType, accumulation = 0): Tolerance {
  switch (dtype) {
    case "float32":
      return { rtol: 1e-5, atol: Math.max(1e-6, 1e-6 * accumulation) };
    case "float16":
      return { rtol: 1e-3, atol: Math.max(1e-4, 1e-6 * accumulation) };
    default:
      return { rtol: 0, atol: 0 };
  }
}

export interface Comparison {
  readonly ok: boolean;
  /** Largest |got - want| over all elements; Infinity when a NaN or an infinity does not match. */
  readonly maxError: number;
  readonly mismatches: number;
  readonly first?: { readonly index: number; readonly got: number; readonly want: number };
}

/** Element-by-element check: NaN must match NaN, infinities must match exactly, finite values within tolerance. */
export function compareValues(dtype: DType, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): Comparison {
  if (got.length !== want.length) {
    return {
      ok: false,
      maxError: Infinity,
      mismatches: Math.abs(got.length - want.length),
      first: { index: Math.min(got.length, want.length), got: NaN, want: NaN },
    };
  }
  const float = isFloat(dtype);
  let maxError = 0;
  let mismatches = 0;
  let first: Comparison["first"];
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    let error: number;
    let ok: boolean;
    if (float && (w !== w || g !== g)) {
      ok = w !== w && g !== g;
      error = ok ? 0 : Infinity;
    } else if (float && (!Number.isFinite(w) || !Number.isFinite(g))) {
      ok = g === w;
      error = ok ? 0 : Infinity;
    } else {
      error = Math.abs(g - w);
      ok = error <= tol.atol + tol.rtol * Math.abs(w);
    }
    if (error > maxError) maxError = error;
    if (!ok) {
      mismatches++;
      first ??= { index: i, got: g, want: w };
    }
  }
  return { ok: mismatches === 0, maxError, mismatches, first };
}
