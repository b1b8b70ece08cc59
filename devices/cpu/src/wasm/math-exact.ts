/**
 * exp, expm1 and tanh in float64 that return the same doubles as JavaScript's Math.exp,
 * Math.expm1 and Math.tanh in V8, bit for bit: V8 computes these with the classic fdlibm
 * algorithms (argument reduction by k·ln2 split in a high and a low part, a short minimax
 * polynomial, scaling by 2^k built from the exponent bits), which use only IEEE double add,
 * multiply, divide and bit manipulation. Written here in the same order of operations with WASM's
 * f64 instructions (standard WASM has no fused multiply-add, so nothing is contracted), they round
 * the same way. V8's one deviation from fdlibm — exp(1) is Math.E — is kept. A test compares every
 * function with Math on millions of arguments.
 *
 * The HAL's scalar ops compute exp, tanh and sigmoid (1 / (1 + exp(-x))) this way in float64, so
 * fused kernels that call these functions equal the eager ops exactly (see wasm/fused-math.ts).
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "./encoder.ts";
import { defineFunction } from "./define.ts";
import { call, choose, f64, get, i32, i64, ifElse, ret, set, when } from "./instructions.ts";

export interface ExactMath {
  /** f64 -> f64, Math.exp. */
  readonly exp: FunctionBuilder;
  /** f64 -> f64, Math.expm1. */
  readonly expm1: FunctionBuilder;
  /** f64 -> f64, Math.tanh. */
  readonly tanh: FunctionBuilder;
  /** f64 -> f64, 1 / (1 + Math.exp(-x)). */
  readonly sigmoid: FunctionBuilder;
}

// The reduction constants: ln2 = LN2_HI + LN2_LO, LN2_HI with trailing zero bits so k·LN2_HI is exact.
export const LN2_HI = 6.9314718036912381649e-1;
export const LN2_LO = 1.90821492927058770002e-10;
export const INV_LN2 = 1.442695040888963387;
export const OVERFLOW = 7.09782712893383973096e2;
export const UNDERFLOW = -7.4513321910194110842e2;
const TWO_M1000 = 2 ** -1000;
const TWO_1023 = 2 ** 1023;
/** exp's polynomial in r²: c = r - r²·P(r²), from which exp(r) = 1 + r + r·c/(2 - c). */
export const EXP_P = [1.66666666666666019037e-1, -2.77777777770155933842e-3, 6.61375632143793436117e-5, -1.6533902205465251539e-6, 4.13813679705723846039e-8];
/** expm1's polynomial in x²/2, the coefficients scaled by 2^n. */
export const EXPM1_Q = [
  -3.33333333333331316428e-2, 1.58730158725481460165e-3, -7.93650757867487942473e-5, 4.00821782732936239552e-6, -2.01099218183624371326e-7,
];

/** c0 + z·(c1 + z·(c2 + ...)), evaluated innermost first as the C source nests it; `z` is read many times: pass a local. */
function nested(z: Code, coefficients: readonly number[]): Code {
  let acc: Code = f64.const(coefficients[coefficients.length - 1]!);
  for (let i = coefficients.length - 2; i >= 0; i--) acc = f64.add(f64.const(coefficients[i]!), f64.mul(z, acc));
  return acc;
}

/** The high 32 bits of a double, as an i32. */
const highWord = (x: Code): Code => i64.wrap(i64.shr_u(i64.reinterpret_f64(x), i64.const(32n)));
/** The double whose high word is `high` (an i32 below 2^31) and whose low word is zero. */
const fromHighWord = (high: Code): Code => f64.reinterpret_i64(i64.shl(i64.extend_i32_s(high), i64.const(32n)));
/** 2^k for k in [-1022, 1023]. */
const pow2 = (k: Code): Code => fromHighWord(i32.add(i32.const(0x3ff00000), i32.shl(k, i32.const(20))));

/** hx = the high word of |x|, neg = x's sign bit (0 or 1). */
const splitHighWord = (x: number, hx: number, neg: number): Code => [
  set(hx, highWord(get(x))),
  set(neg, i32.shr_u(get(hx), i32.const(31))),
  set(hx, i32.and(get(hx), i32.const(0x7fffffff))),
];

/**
 * For |x| > ln2/2: x = k·ln2 + r, with hi - lo = r (hi = x - k·LN2_HI exactly, lo = k·LN2_LO);
 * k = ±1 straight away below 1.5·ln2, else x/ln2 rounded half away from zero. Leaves r in x.
 */
function reduceByLn2(l: { x: number; hx: number; neg: number; k: number; hi: number; lo: number; t: number }): Code {
  const { x, hx, neg, k, hi, lo, t } = l;
  const signed = (v: number): Code => choose("f64", get(neg), f64.const(-v), f64.const(v));
  return [
    ifElse(
      i32.lt_s(get(hx), i32.const(0x3ff0a2b2)),
      [set(hi, f64.sub(get(x), signed(LN2_HI))), set(lo, signed(LN2_LO)), set(k, i32.sub(i32.const(1), i32.add(get(neg), get(neg))))],
      [
        set(k, f64.trunc_sat_i32_s(f64.add(f64.mul(f64.const(INV_LN2), get(x)), signed(0.5)))),
        set(t, f64.convert_i32_s(get(k))),
        set(hi, f64.sub(get(x), f64.mul(get(t), f64.const(LN2_HI)))),
        set(lo, f64.mul(get(t), f64.const(LN2_LO))),
      ],
    ),
    set(x, f64.sub(get(hi), get(lo))),
  ];
}

const sig = { params: { x: "f64" as const }, result: "f64" as const, exported: false };

/**
 * Declares the four functions in `mod` (callable from any function of it). `exported` makes them
 * module exports too (for tests).
 */
export function emitExactMath(mod: ModuleBuilder, prefix = "exact_", exported = false): ExactMath {
  const s = { ...sig, exported };
  const exp = defineFunction(mod, `${prefix}exp`, s, (p, fn) => {
    const x = p.x;
    const [hx, neg, k] = [fn.local("i32"), fn.local("i32"), fn.local("i32")];
    const [hi, lo, t, c, y] = [fn.local("f64"), fn.local("f64"), fn.local("f64"), fn.local("f64"), fn.local("f64")];
    return [
      splitHighWord(x, hx, neg),
      // |x| >= 709.78: NaN, ±Inf, overflow, underflow.
      when(
        i32.ge_s(get(hx), i32.const(0x40862e42)),
        when(f64.ne(get(x), get(x)), ret(f64.add(get(x), get(x)))),
        when(i32.ge_s(get(hx), i32.const(0x7ff00000)), ret(choose("f64", get(neg), f64.const(0), get(x)))),
        when(f64.gt(get(x), f64.const(OVERFLOW)), ret(f64.const(Infinity))),
        when(f64.lt(get(x), f64.const(UNDERFLOW)), ret(f64.const(0))),
      ),
      set(k, i32.const(0)),
      set(hi, f64.const(0)),
      set(lo, f64.const(0)),
      ifElse(
        i32.gt_s(get(hx), i32.const(0x3fd62e42)),
        [
          // V8 returns Math.E for exp(1) (the reduction below is one ulp off there).
          when(f64.eq(get(x), f64.const(1)), ret(f64.const(Math.E))),
          reduceByLn2({ x, hx, neg, k, hi, lo, t }),
        ],
        // |x| < 2^-28: 1 + x.
        [when(i32.lt_s(get(hx), i32.const(0x3e300000)), ret(f64.add(f64.const(1), get(x))))],
      ),
      set(t, f64.mul(get(x), get(x))),
      set(c, f64.sub(get(x), f64.mul(get(t), nested(get(t), EXP_P)))),
      when(i32.eqz(get(k)), ret(f64.sub(f64.const(1), f64.sub(f64.div(f64.mul(get(x), get(c)), f64.sub(get(c), f64.const(2))), get(x))))),
      set(y, f64.sub(f64.const(1), f64.sub(f64.sub(get(lo), f64.div(f64.mul(get(x), get(c)), f64.sub(f64.const(2), get(c)))), get(hi)))),
      when(i32.lt_s(get(k), i32.const(-1021)), ret(f64.mul(f64.mul(get(y), pow2(i32.add(get(k), i32.const(1000)))), f64.const(TWO_M1000)))),
      when(i32.eq(get(k), i32.const(1024)), ret(f64.mul(f64.mul(get(y), f64.const(2)), f64.const(TWO_1023)))),
      f64.mul(get(y), pow2(get(k))),
    ];
  });

  const expm1 = defineFunction(mod, `${prefix}expm1`, s, (p, fn) => {
    const x = p.x;
    const [hx, neg, k] = [fn.local("i32"), fn.local("i32"), fn.local("i32")];
    const [hi, lo, t, c, e, hfx, hxs, r1, y] = Array.from({ length: 9 }, () => fn.local("f64")) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return [
      splitHighWord(x, hx, neg),
      // |x| >= 56·ln2: NaN, ±Inf, overflow, or -1 for large negative x.
      when(
        i32.ge_s(get(hx), i32.const(0x4043687a)),
        when(f64.ne(get(x), get(x)), ret(f64.add(get(x), get(x)))),
        when(i32.ge_s(get(hx), i32.const(0x7ff00000)), ret(choose("f64", get(neg), f64.const(-1), get(x)))),
        when(f64.gt(get(x), f64.const(OVERFLOW)), ret(f64.const(Infinity))),
        when(get(neg), ret(f64.const(-1))),
      ),
      set(k, i32.const(0)),
      set(c, f64.const(0)),
      ifElse(
        i32.gt_s(get(hx), i32.const(0x3fd62e42)),
        [reduceByLn2({ x, hx, neg, k, hi, lo, t }), set(c, f64.sub(f64.sub(get(hi), get(x)), get(lo)))],
        // |x| < 2^-54: x itself.
        [when(i32.lt_s(get(hx), i32.const(0x3c900000)), ret(get(x)))],
      ),
      set(hfx, f64.mul(f64.const(0.5), get(x))),
      set(hxs, f64.mul(get(x), get(hfx))),
      set(r1, f64.add(f64.const(1), f64.mul(get(hxs), nested(get(hxs), EXPM1_Q)))),
      set(t, f64.sub(f64.const(3), f64.mul(get(r1), get(hfx)))),
      set(e, f64.mul(get(hxs), f64.div(f64.sub(get(r1), get(t)), f64.sub(f64.const(6), f64.mul(get(x), get(t)))))),
      when(i32.eqz(get(k)), ret(f64.sub(get(x), f64.sub(f64.mul(get(x), get(e)), get(hxs))))),
      set(e, f64.sub(f64.sub(f64.mul(get(x), f64.sub(get(e), get(c))), get(c)), get(hxs))),
      when(i32.eq(get(k), i32.const(-1)), ret(f64.sub(f64.mul(f64.const(0.5), f64.sub(get(x), get(e))), f64.const(0.5)))),
      when(
        i32.eq(get(k), i32.const(1)),
        when(f64.lt(get(x), f64.const(-0.25)), ret(f64.mul(f64.const(-2), f64.sub(get(e), f64.add(get(x), f64.const(0.5)))))),
        ret(f64.add(f64.const(1), f64.mul(f64.const(2), f64.sub(get(x), get(e))))),
      ),
      when(
        i32.or(i32.le_s(get(k), i32.const(-2)), i32.gt_s(get(k), i32.const(56))),
        set(y, f64.sub(f64.const(1), f64.sub(get(e), get(x)))),
        set(y, choose("f64", i32.eq(get(k), i32.const(1024)), f64.mul(f64.mul(get(y), f64.const(2)), f64.const(TWO_1023)), f64.mul(get(y), pow2(get(k))))),
        ret(f64.sub(get(y), f64.const(1))),
      ),
      ifElse(
        i32.lt_s(get(k), i32.const(20)),
        // 1 - 2^-k is exact; (1 - 2^-k) - (e - x), scaled.
        [
          set(t, fromHighWord(i32.sub(i32.const(0x3ff00000), i32.shr_s(i32.const(0x200000), get(k))))),
          set(y, f64.mul(f64.sub(get(t), f64.sub(get(e), get(x))), pow2(get(k)))),
        ],
        [
          set(t, fromHighWord(i32.shl(i32.sub(i32.const(0x3ff), get(k)), i32.const(20)))),
          set(y, f64.mul(f64.add(f64.sub(get(x), f64.add(get(e), get(t))), f64.const(1)), pow2(get(k)))),
        ],
      ),
      get(y),
    ];
  });

  const tanh = defineFunction(mod, `${prefix}tanh`, s, (p, fn) => {
    const x = p.x;
    const [jx, ix] = [fn.local("i32"), fn.local("i32")];
    const [t, z] = [fn.local("f64"), fn.local("f64")];
    return [
      set(jx, highWord(get(x))),
      set(ix, i32.and(get(jx), i32.const(0x7fffffff))),
      // ±Inf: ±1 (1/x ± 1); NaN stays NaN.
      when(
        i32.ge_s(get(ix), i32.const(0x7ff00000)),
        ret(
          choose(
            "f64",
            i32.lt_s(get(jx), i32.const(0)),
            f64.sub(f64.div(f64.const(1), get(x)), f64.const(1)),
            f64.add(f64.div(f64.const(1), get(x)), f64.const(1)),
          ),
        ),
      ),
      ifElse(
        i32.lt_s(get(ix), i32.const(0x40360000)),
        [
          // |x| < 2^-28: x.
          when(i32.lt_s(get(ix), i32.const(0x3e300000)), ret(get(x))),
          ifElse(
            i32.ge_s(get(ix), i32.const(0x3ff00000)),
            [set(t, call(expm1, f64.mul(f64.const(2), f64.abs(get(x))))), set(z, f64.sub(f64.const(1), f64.div(f64.const(2), f64.add(get(t), f64.const(2)))))],
            [set(t, call(expm1, f64.mul(f64.const(-2), f64.abs(get(x))))), set(z, f64.div(f64.neg(get(t)), f64.add(get(t), f64.const(2))))],
          ),
        ],
        // |x| >= 22: ±1.
        [set(z, f64.const(1))],
      ),
      choose("f64", i32.lt_s(get(jx), i32.const(0)), f64.neg(get(z)), get(z)),
    ];
  });

  const sigmoid = defineFunction(mod, `${prefix}sigmoid`, s, (p) => [f64.div(f64.const(1), f64.add(f64.const(1), call(exp, f64.neg(get(p.x)))))]);

  return { exp, expm1, tanh, sigmoid };
}
