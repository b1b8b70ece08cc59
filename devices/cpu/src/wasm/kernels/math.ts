/**
 * exp and log in float64, for the kernels that follow the reference's float64 arithmetic
 * (softmax, logSoftmax): WebAssembly has neither. Both reduce the argument by powers of two and
 * sum a short series; they are within a couple of float64 ulps of Math.exp / Math.log, far below
 * the float32 rounding of the results.
 */
import type { Code, FunctionBuilder, ModuleBuilder } from "../encoder.ts";
import { defineFunction } from "../define.ts";
import { f64, f64x2, get, i32, i32x4, i64, i64x2, set, v128, when } from "../instructions.ts";

export interface MathFunctions {
  readonly exp: FunctionBuilder;
  /** exp64x4(a, b, dst): exp of the f64 lanes of a and b, each by exactly the operations of `exp`, stored at dst and dst + 16. */
  readonly exp4: FunctionBuilder;
  readonly log: FunctionBuilder;
}

const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;

/** Horner: c0 + x·(c1 + x·(c2 + ...)). */
function horner(x: Code, coefficients: readonly number[]): Code {
  let acc: Code = f64.const(coefficients[coefficients.length - 1]!);
  for (let i = coefficients.length - 2; i >= 0; i--) acc = f64.add(f64.const(coefficients[i]!), f64.mul(x, acc));
  return acc;
}

/** horner on both lanes of an f64x2 (`x` is read once per step: pass a local). */
function horner2(x: Code, coefficients: readonly number[]): Code {
  const c = (v: number): Code => f64x2.splat(f64.const(v));
  let acc: Code = c(coefficients[coefficients.length - 1]!);
  for (let i = coefficients.length - 2; i >= 0; i--) acc = f64x2.add(c(coefficients[i]!), f64x2.mul(x, acc));
  return acc;
}

/** 2^n as a float64, for n in [-1022, 1023]. */
const pow2 = (n: Code): Code => f64.reinterpret_i64(i64.shl(i64.extend_i32_s(i32.add(n, i32.const(1023))), i64.const(52n)));

export function emitMath(mod: ModuleBuilder): MathFunctions {
  // exp(x) = 2^n · exp(r), r = x - n·ln2 in [-ln2/2, ln2/2]; Taylor to degree 13 (next term < 2^-60).
  const taylor = Array.from({ length: 14 }, (_, k) => 1 / [...Array(k).keys()].reduce((f, i) => f * (i + 1), 1));
  const exp = defineFunction(mod, "exp64", { params: { x: "f64" }, result: "f64", exported: false }, (p, fn) => {
    const n = fn.local("f64");
    const r = fn.local("f64");
    const y = fn.local("f64");
    const k = fn.local("i32");
    return [
      when(f64.gt(get(p.x), f64.const(709.782712893384)), [f64.const(Infinity), 0x0f]),
      when(f64.lt(get(p.x), f64.const(-745.2)), [f64.const(0), 0x0f]),
      set(n, f64.nearest(f64.mul(get(p.x), f64.const(Math.LOG2E)))),
      set(r, f64.sub(f64.sub(get(p.x), f64.mul(get(n), f64.const(LN2_HI))), f64.mul(get(n), f64.const(LN2_LO)))),
      set(y, horner(get(r), taylor)),
      set(k, f64.trunc_sat_i32_s(get(n))),
      // Results below 2^-1022 (subnormal) take the power of two in two steps.
      when(i32.lt_s(get(k), i32.const(-1021)), set(y, f64.mul(get(y), f64.const(2 ** -1000))), set(k, i32.add(get(k), i32.const(1000)))),
      f64.mul(get(y), pow2(get(k))),
    ];
  });

  // The same steps lane by lane, on two vectors at once (their steps interleaved, so the two
  // dependency chains of the series overlap); the early returns become selects at the end.
  const exp4 = defineFunction(mod, "exp64x4", { params: { a: "v128", b: "v128", dst: "i32" }, exported: false }, (p, fn) => {
    const c = (v: number): Code => f64x2.splat(f64.const(v));
    const steps = (x: number): Code[] => {
      const [n, r, y, k, tiny] = [fn.local("v128"), fn.local("v128"), fn.local("v128"), fn.local("v128"), fn.local("v128")];
      return [
        set(n, f64x2.nearest(f64x2.mul(get(x), c(Math.LOG2E)))),
        set(r, f64x2.sub(f64x2.sub(get(x), f64x2.mul(get(n), c(LN2_HI))), f64x2.mul(get(n), c(LN2_LO)))),
        set(y, horner2(get(r), taylor)),
        set(k, i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(get(n)))),
        // Lanes whose power of two is below 2^-1021 (n is an integer, so n < -1021 is k < -1021).
        set(tiny, f64x2.lt(get(n), c(-1021))),
        set(y, v128.bitselect(f64x2.mul(get(y), c(2 ** -1000)), get(y), get(tiny))),
        set(k, i64x2.add(get(k), v128.and(get(tiny), i64x2.splat(i64.const(1000n))))),
        set(y, f64x2.mul(get(y), i64x2.shl(i64x2.add(get(k), i64x2.splat(i64.const(1023n))), i32.const(52)))),
        set(y, v128.bitselect(c(Infinity), get(y), f64x2.gt(get(x), c(709.782712893384)))),
        set(y, v128.bitselect(c(0), get(y), f64x2.lt(get(x), c(-745.2)))),
        v128.store(get(p.dst), get(y), x === p.a ? 0 : 16),
      ];
    };
    const [first, second] = [steps(p.a), steps(p.b)];
    return first.map((step, i) => [step, second[i]!]);
  });

  // log(x) = e·ln2 + 2·atanh(s), s = (m - 1)/(m + 1), m in [√½, √2): |s| < 0.172, ten odd terms.
  const atanh = Array.from({ length: 11 }, (_, k) => 2 / (2 * k + 1));
  const log = defineFunction(mod, "log64", { params: { x: "f64" }, result: "f64", exported: false }, (p, fn) => {
    const bits = fn.local("i64");
    const e = fn.local("i32");
    const m = fn.local("f64");
    const s = fn.local("f64");
    return [
      when(f64.ne(get(p.x), get(p.x)), [get(p.x), 0x0f]),
      when(f64.lt(get(p.x), f64.const(0)), [f64.const(NaN), 0x0f]),
      when(f64.eq(get(p.x), f64.const(0)), [f64.const(-Infinity), 0x0f]),
      when(f64.eq(get(p.x), f64.const(Infinity)), [get(p.x), 0x0f]),
      set(e, i32.const(0)),
      // Subnormals: scale into the normal range first.
      when(f64.lt(get(p.x), f64.const(2 ** -1022)), set(p.x, f64.mul(get(p.x), f64.const(2 ** 54))), set(e, i32.const(-54))),
      set(bits, i64.reinterpret_f64(get(p.x))),
      set(e, i32.add(get(e), i32.sub(i64.wrap(i64.shr_u(get(bits), i64.const(52n))), i32.const(1023)))),
      set(m, f64.reinterpret_i64(i64.or(i64.and(get(bits), i64.const(0x000fffffffffffffn)), i64.const(0x3ff0000000000000n)))),
      when(f64.gt(get(m), f64.const(Math.SQRT2)), set(m, f64.mul(get(m), f64.const(0.5))), set(e, i32.add(get(e), i32.const(1)))),
      set(s, f64.div(f64.sub(get(m), f64.const(1)), f64.add(get(m), f64.const(1)))),
      f64.add(
        f64.mul(f64.convert_i32_s(get(e)), f64.const(LN2_HI)),
        f64.add(f64.mul(get(s), horner(f64.mul(get(s), get(s)), atanh)), f64.mul(f64.convert_i32_s(get(e)), f64.const(LN2_LO))),
      ),
    ];
  });
  return { exp, exp4, log };
}
