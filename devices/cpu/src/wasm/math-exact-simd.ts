/**
 * math-exact.ts's exp, sigmoid and tanh (and math-exact-erf.ts's erf) on f64x2 lanes, the same doubles bit for bit: the scalar
 * functions' branches become lane selects. For exp: Every branch but two computes what the general path
 * computes — for |x| in (ln2/2, 1.5·ln2) the shortcut k = ±1 is the k the general path rounds to,
 * and k = 0 (|x| at most ln2/2) gives hi = x, lo = +0 and the same final expression — so the lanes
 * run the general path with k forced to 0 below ln2/2, then pick 1 + x below 2^-28, Math.E at 1,
 * and Infinity / 0 past the overflow / underflow thresholds. The scaling by 2^k is (y·s1)·s2 with
 * (s1, s2) = (2^k, 1), (2^(k+1000), 2^-1000) below k = -1021, or (2, 2^1023) at k = 1024: the
 * products the scalar code forms in those cases.
 */
import { uleb, type Code, type FunctionBuilder, type ModuleBuilder } from "./encoder.ts";
import { defineFunction, locals } from "./define.ts";
import { declareErfTable, ERF_QUICK_RELATIVE_ERROR, erfQuickSteps, erfSteps } from "./math-exact-erf.ts";
import { EXP_P, EXPM1_Q, INV_LN2, LN2_HI, LN2_LO, OVERFLOW, UNDERFLOW } from "./math-exact.ts";
import { f32x4, f64, f64x2, get, i32, i32x4, i64, i64x2, lanes32, set, v128, when } from "./instructions.ts";

/** The smallest double whose high word exceeds 0x3fd62e42 (the scalar code's "|x| > ln2/2"). */
const ABOVE_HALF_LN2 = 0.346573603153228759765625;
const SIGN = -0x8000000000000000n;

// f64x2 instructions instructions.ts does not list (SIMD opcodes).
const simd = (op: number, ...args: Code[]): Code => [args, 0xfd, ...uleb(op)];
const abs2 = (a: Code): Code => simd(0xec, a);
const trunc2 = (a: Code): Code => simd(0x7a, a);
const eq2 = (a: Code, b: Code): Code => simd(0x47, a, b);
const ge2 = (a: Code, b: Code): Code => simd(0x4c, a, b);
const le2 = (a: Code, b: Code): Code => simd(0x4b, a, b);
const subI64 = (a: Code, b: Code): Code => simd(0xd1, a, b);
const splat = (v: number): Code => f64x2.splat(f64.const(v));
/** 2^k per lane for integer k in [-1022, 1023], k given as i64x2. */
const pow2 = (k: Code): Code => i64x2.shl(i64x2.add(k, i64x2.splat(i64.const(1023n))), i32.const(52));

/** c0 + z·(c1 + z·(c2 + ...)) on f64x2 lanes; `z` is a local. */
function nested2(z: number, coefficients: readonly number[]): Code {
  let acc: Code = splat(coefficients[coefficients.length - 1]!);
  for (let i = coefficients.length - 2; i >= 0; i--) acc = f64x2.add(splat(coefficients[i]!), f64x2.mul(get(z), acc));
  return acc;
}

/** x = k·ln2 + (hi - lo) as both functions reduce it: k (as a double) set in `kf`, 0 where |x| <= ln2/2. */
const reduceK = (x: number, kf: number): Code => [
  set(kf, trunc2(f64x2.add(f64x2.mul(splat(INV_LN2), get(x)), v128.or(splat(0.5), v128.and(get(x), i64x2.splat(i64.const(SIGN))))))),
  set(kf, v128.and(get(kf), ge2(abs2(get(x)), splat(ABOVE_HALF_LN2)))),
];
const asI64 = (kf: number): Code => i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(get(kf)));

/** Statements that set the f64x2 local `out` to a function of the f64x2 local `x` (locals of `fn`). */
type Steps = (fn: FunctionBuilder, x: number, out: number) => Code[];

/** Math.exp of each lane. */
const expSteps: Steps = (fn, x, out) => {
  const [kf, k, hi, lo, r, t, c, y, small, huge] = locals(fn, "v128", 10);
  return [
    // k = trunc(x/ln2 ± 0.5) above ln2/2 (the half takes x's sign bit), else 0.
    reduceK(x, kf),
    set(hi, f64x2.sub(get(x), f64x2.mul(get(kf), splat(LN2_HI)))),
    set(lo, f64x2.mul(get(kf), splat(LN2_LO))),
    set(r, f64x2.sub(get(hi), get(lo))),
    set(t, f64x2.mul(get(r), get(r))),
    set(c, f64x2.sub(get(r), f64x2.mul(get(t), nested2(t, EXP_P)))),
    set(y, f64x2.sub(splat(1), f64x2.sub(f64x2.sub(get(lo), f64x2.div(f64x2.mul(get(r), get(c)), f64x2.sub(splat(2), get(c)))), get(hi)))),
    // Scale: (y·s1)·s2.
    set(k, asI64(kf)),
    set(small, f64x2.lt(get(kf), splat(-1021))),
    set(huge, eq2(get(kf), splat(1024))),
    set(
      y,
      f64x2.mul(
        f64x2.mul(
          get(y),
          v128.bitselect(pow2(i64x2.add(get(k), i64x2.splat(i64.const(1000n)))), v128.bitselect(splat(2), pow2(get(k)), get(huge)), get(small)),
        ),
        v128.bitselect(splat(2 ** -1000), v128.bitselect(splat(2 ** 1023), splat(1), get(huge)), get(small)),
      ),
    ),
    set(y, v128.bitselect(splat(Math.E), get(y), eq2(get(x), splat(1)))),
    set(y, v128.bitselect(f64x2.add(splat(1), get(x)), get(y), f64x2.lt(abs2(get(x)), splat(2 ** -28)))),
    set(y, v128.bitselect(splat(Infinity), get(y), f64x2.gt(get(x), splat(OVERFLOW)))),
    set(out, v128.bitselect(splat(0), get(y), f64x2.lt(get(x), splat(UNDERFLOW)))),
  ];
};

/**
 * Math.expm1 of each lane, for the arguments tanh gives it: ±2|x| with 2^-28 <= |x| < 22, so k is
 * in [-3, 63], never 1 (a positive argument is at least 2), and none of the scalar code's early
 * returns applies.
 */
const expm1Steps: Steps = (fn, x, out) => {
  const [kf, k, hi, lo, r, c, hfx, hxs, r1, t, e, e2, y] = locals(fn, "v128", 13);
  const kIs = (v: number): Code => eq2(get(kf), splat(v));
  return [
    reduceK(x, kf),
    set(hi, f64x2.sub(get(x), f64x2.mul(get(kf), splat(LN2_HI)))),
    set(lo, f64x2.mul(get(kf), splat(LN2_LO))),
    set(r, f64x2.sub(get(hi), get(lo))),
    set(c, f64x2.sub(f64x2.sub(get(hi), get(r)), get(lo))),
    set(hfx, f64x2.mul(splat(0.5), get(r))),
    set(hxs, f64x2.mul(get(r), get(hfx))),
    set(r1, f64x2.add(splat(1), f64x2.mul(get(hxs), nested2(hxs, EXPM1_Q)))),
    set(t, f64x2.sub(splat(3), f64x2.mul(get(r1), get(hfx)))),
    set(e, f64x2.mul(get(hxs), f64x2.div(f64x2.sub(get(r1), get(t)), f64x2.sub(splat(6), f64x2.mul(get(r), get(t)))))),
    set(e2, f64x2.sub(f64x2.sub(f64x2.mul(get(r), f64x2.sub(get(e), get(c))), get(c)), get(hxs))),
    set(k, asI64(kf)),
    // k in [20, 56]: ((r - (e + 2^-k)) + 1)·2^k; k in [2, 19]: ((1 - 2^-k) - (e - r))·2^k.
    set(t, pow2(subI64(i64x2.splat(i64.const(0n)), get(k)))),
    set(
      y,
      v128.bitselect(
        f64x2.mul(f64x2.add(f64x2.sub(get(r), f64x2.add(get(e2), get(t))), splat(1)), pow2(get(k))),
        f64x2.mul(f64x2.sub(f64x2.sub(splat(1), get(t)), f64x2.sub(get(e2), get(r))), pow2(get(k))),
        ge2(get(kf), splat(20)),
      ),
    ),
    // k <= -2 or k > 56: (1 - (e - r))·2^k - 1.
    set(
      y,
      v128.bitselect(
        f64x2.sub(f64x2.mul(f64x2.sub(splat(1), f64x2.sub(get(e2), get(r))), pow2(get(k))), splat(1)),
        get(y),
        v128.or(le2(get(kf), splat(-2)), f64x2.gt(get(kf), splat(56))),
      ),
    ),
    set(y, v128.bitselect(f64x2.sub(f64x2.mul(splat(0.5), f64x2.sub(get(r), get(e2))), splat(0.5)), get(y), kIs(-1))),
    set(out, v128.bitselect(f64x2.sub(get(r), f64x2.sub(f64x2.mul(get(r), get(e)), get(hxs))), get(y), kIs(0))),
  ];
};

/**
 * Math.tanh of each lane: ±(1 - 2/(expm1(2|x|) + 2)) from |x| = 1, ∓expm1(-2|x|)/(expm1(-2|x|) + 2)
 * below, ±1 from 22 (and at ±Infinity), x itself below 2^-28.
 */
const tanhSteps: Steps = (fn, x, out) => {
  const [ax, ge1, arg, t, z] = locals(fn, "v128", 5);
  return [
    set(ax, abs2(get(x))),
    set(ge1, ge2(get(ax), splat(1))),
    set(arg, f64x2.mul(v128.bitselect(splat(2), splat(-2), get(ge1)), get(ax))),
    ...expm1Steps(fn, arg, t),
    set(
      z,
      v128.bitselect(
        f64x2.sub(splat(1), f64x2.div(splat(2), f64x2.add(get(t), splat(2)))),
        f64x2.div(v128.xor(get(t), i64x2.splat(i64.const(SIGN))), f64x2.add(get(t), splat(2))),
        get(ge1),
      ),
    ),
    set(z, v128.bitselect(splat(1), get(z), ge2(get(ax), splat(22)))),
    // The sign of x (NaN stays NaN), then x itself where tiny.
    set(z, v128.or(get(z), v128.and(get(x), i64x2.splat(i64.const(SIGN))))),
    set(out, v128.bitselect(get(x), get(z), f64x2.lt(get(ax), splat(2 ** -28)))),
  ];
};

/** 1 / (1 + Math.exp(-x)) of each lane. */
const sigmoidSteps: Steps = (fn, x, out) => {
  const negated = fn.local("v128");
  return [
    set(negated, v128.xor(get(x), i64x2.splat(i64.const(SIGN)))),
    ...expSteps(fn, negated, out),
    set(out, f64x2.div(splat(1), f64x2.add(splat(1), get(out)))),
  ];
};

const STEPS = { exp: expSteps, sigmoid: sigmoidSteps, tanh: tanhSteps, erf: erfSteps };
export type SimdMathName = keyof typeof STEPS;

/**
 * Declares `${prefix}${name}_f64x2` (v128 -> v128 on f64 lanes, for tests) when `exported`, and
 * `${prefix}${name}_f32x4` (v128 -> v128 on f32 lanes: each widened, computed, rounded once). The
 * f32x4 form runs its two halves as two interleaved chains: each alone is a long dependent chain,
 * and interleaving lets the core overlap them.
 */
export function emitExactMathSimd(
  mod: ModuleBuilder,
  name: SimdMathName,
  prefix = "exact_",
  exported = false,
): { f64x2?: FunctionBuilder; f32x4: FunctionBuilder } {
  const steps = STEPS[name];
  if (name === "erf") declareErfTable(mod);
  const sig = { params: { x: "v128" as const }, result: "v128" as const, exported };
  const f64x2Fn = exported
    ? defineFunction(mod, `${prefix}${name}_f64x2`, sig, (p, fn) => {
        const out = fn.local("v128");
        return [steps(fn, p.x, out), get(out)];
      })
    : undefined;
  const quick = QUICK[name];
  const f32x4Fn = defineFunction(mod, `${prefix}${name}_f32x4`, sig, (p, fn) => {
    const [low, high, outLow, outHigh] = locals(fn, "v128", 4);
    const halves = (stepsOf: Steps): Code => {
      const first = stepsOf(fn, low, outLow);
      const second = stepsOf(fn, high, outHigh);
      return first.map((step, i) => [step, second[i]!]);
    };
    const rounded = (shift: (half: Code) => Code): Code =>
      v128.shuffle(f32x4.demote_f64x2_zero(shift(get(outLow))), f32x4.demote_f64x2_zero(shift(get(outHigh))), lanes32(0, 1, 4, 5));
    return [
      set(low, f64x2.promote_low_f32x4(get(p.x))),
      set(high, f64x2.promote_low_f32x4(v128.shuffle(get(p.x), get(p.x), lanes32(2, 3, 2, 3)))),
      quick ? quickThenExact(fn, quick, steps, halves, rounded) : [halves(steps), rounded((half) => half)],
    ];
  });
  return { f64x2: f64x2Fn, f32x4: f32x4Fn };
}

/**
 * Quick forms: f64x2 steps within QUICK_RELATIVE_ERROR of the exact ones (bounds in their comments).
 * The exact double lies within that of the quick one, q, and rounding to float32 is monotonic, so
 * where q·(1 − ε) and q·(1 + ε) round to the same float32 the exact double rounds to it too; only
 * a vector with a lane whose interval straddles a rounding boundary (about one in a hundred; NaN
 * too) runs the exact steps, so the f32x4 results equal the exact path's bit for bit.
 */
const QUICK: Partial<Record<SimdMathName, Steps>> = { erf: erfQuickSteps, tanh: tanhQuickSteps };
const QUICK_RELATIVE_ERROR = ERF_QUICK_RELATIVE_ERROR;

function quickThenExact(
  fn: FunctionBuilder,
  quick: Steps,
  exact: Steps,
  halves: (stepsOf: Steps) => Code,
  rounded: (shift: (half: Code) => Code) => Code,
): Code {
  const [below, above] = locals(fn, "v128", 2);
  const scaled = (factor: number) => (half: Code) => f64x2.mul(half, splat(factor));
  return [
    halves(quick),
    set(below, rounded(scaled(1 - QUICK_RELATIVE_ERROR))),
    set(above, rounded(scaled(1 + QUICK_RELATIVE_ERROR))),
    when(
      v128.anyTrue(f32x4.ne(get(below), get(above))),
      halves(exact),
      set(
        below,
        rounded((half) => half),
      ),
    ),
    get(below),
  ];
}

/** 1/n! for n = 2..10: expm1's Taylor coefficients past the linear term. */
const INVERSE_FACTORIALS = Array.from({ length: 9 }, (_, i) => 1 / Array.from({ length: i + 2 }, (_, j) => j + 1).reduce((a, b) => a * b, 1));

/**
 * tanh within 2^-38 of Math.tanh (well inside QUICK_RELATIVE_ERROR): with y = 2|x| (capped at 40,
 * where tanh is 1 to far below a float32 ulp), y = k·ln2 + r, |r| ≤ ln2/2, expm1(r) by Taylor to
 * r¹⁰ (the rest is below 2^-40 of it), expm1(y) = 2^k·expm1(r) + (2^k − 1) (no cancellation: k = 0
 * keeps expm1(r) itself), then ±expm1(y) / (expm1(y) + 2) — one division where the exact form has
 * three. NaN stays NaN.
 */
function tanhQuickSteps(fn: FunctionBuilder, x: number, out: number): Code[] {
  const [y, kf, r, p, s, e] = locals(fn, "v128", 6);
  let horner: Code = splat(INVERSE_FACTORIALS[INVERSE_FACTORIALS.length - 1]!);
  for (let i = INVERSE_FACTORIALS.length - 2; i >= 0; i--) horner = f64x2.add(splat(INVERSE_FACTORIALS[i]!), f64x2.mul(get(r), horner));
  return [
    set(y, f64x2.mul(abs2(get(x)), splat(2))),
    set(y, v128.bitselect(splat(40), get(y), ge2(get(y), splat(40)))),
    set(kf, f64x2.nearest(f64x2.mul(get(y), splat(INV_LN2)))),
    set(r, f64x2.sub(f64x2.sub(get(y), f64x2.mul(get(kf), splat(LN2_HI))), f64x2.mul(get(kf), splat(LN2_LO)))),
    set(p, f64x2.mul(get(r), f64x2.add(splat(1), f64x2.mul(get(r), horner)))),
    set(s, pow2(asI64(kf))),
    set(e, f64x2.add(f64x2.mul(get(s), get(p)), f64x2.sub(get(s), splat(1)))),
    set(out, v128.or(f64x2.div(get(e), f64x2.add(get(e), splat(2))), v128.and(get(x), i64x2.splat(i64.const(SIGN))))),
  ];
}
