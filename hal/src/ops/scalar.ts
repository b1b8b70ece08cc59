/**
 * The HAL's elementwise and reduction semantics for one value at a time, as float64 numbers:
 * what the cpu reference kernels, a naive kernel or a simulator's vector unit compute before
 * storing to the dtype — defined once, here, for every device. The
 * edge cases (C pow, floor vs truncated modulo, integer division by zero, NaN propagation) are
 * the ones the conformance kit checks, so a vendor starts from rules that already pass it.
 */
import { erf } from "./erf.ts";

export type Scalar1 = (x: number) => number;
export type Scalar2 = (a: number, b: number) => number;

/** Round half to even, keeping the sign of zero. */
const roundHalfEven: Scalar1 = (x) => {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** Unary primitives by HAL name; integer inputs give exact results that the store wraps to the dtype. */
export const UNARY_SCALAR: Readonly<Record<string, Scalar1>> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: Math.sign,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  reciprocal: (x) => 1 / x,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => (x > 0 || x !== x ? x : 0),
  erf,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  isNaN: (x) => (x !== x ? 1 : 0),
  logicalNot: (x) => (x === 0 ? 1 : 0),
};

/** Integer power by squaring, wrapping at 32 bits; negative exponents truncate 1/a^|b| toward zero. */
const intPow: Scalar2 = (a, b) => {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0;
  let result = 1;
  let base = a | 0;
  for (let e = b >>> 0; e > 0; e >>>= 1) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
};

/** C pow where JavaScript differs: 1^y = 1 and (-1)^±Inf = 1. */
const floatPow: Scalar2 = (a, b) => (a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : Math.pow(a, b));

/** Floor modulo: the result takes the divisor's sign (a zero result too, for floats). */
const floatMod: Scalar2 = (a, b) => {
  const r = a % b;
  if (r === 0) return b < 0 ? -0 : 0;
  return r < 0 !== b < 0 ? r + b : r;
};
const intMod: Scalar2 = (a, b) => {
  if (b === 0) return 0;
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
};

/** Binary primitives by HAL name as [float, integer] rules; comparisons and logical ops give 0 or 1. */
export const BINARY_SCALAR: Readonly<Record<string, readonly [Scalar2, Scalar2]>> = {
  add: [(a, b) => a + b, (a, b) => a + b],
  sub: [(a, b) => a - b, (a, b) => a - b],
  mul: [(a, b) => a * b, Math.imul],
  div: [(a, b) => a / b, (a, b) => (b === 0 ? 0 : Math.trunc(a / b))],
  pow: [floatPow, intPow],
  maximum: [Math.max, Math.max],
  minimum: [Math.min, Math.min],
  mod: [floatMod, intMod],
  fmod: [(a, b) => a % b, (a, b) => (b === 0 ? 0 : a % b)],
  equal: [(a, b) => +(a === b), (a, b) => +(a === b)],
  notEqual: [(a, b) => +(a !== b), (a, b) => +(a !== b)],
  less: [(a, b) => +(a < b), (a, b) => +(a < b)],
  lessEqual: [(a, b) => +(a <= b), (a, b) => +(a <= b)],
  greater: [(a, b) => +(a > b), (a, b) => +(a > b)],
  greaterEqual: [(a, b) => +(a >= b), (a, b) => +(a >= b)],
  logicalAnd: [(a, b) => +(a !== 0 && b !== 0), (a, b) => +(a !== 0 && b !== 0)],
  logicalOr: [(a, b) => +(a !== 0 || b !== 0), (a, b) => +(a !== 0 || b !== 0)],
  logicalXor: [(a, b) => +((a !== 0) !== (b !== 0)), (a, b) => +((a !== 0) !== (b !== 0))],
};

/** Reductions by HAL name as [initial value, float step, integer step]: integers wrap at 32 bits like hardware. */
export const REDUCE_SCALAR: Readonly<Record<string, readonly [number, Scalar2, Scalar2]>> = {
  reduceSum: [0, (a, v) => a + v, (a, v) => (a + v) | 0],
  reduceProd: [1, (a, v) => a * v, Math.imul],
  reduceMax: [-Infinity, Math.max, Math.max],
  reduceMin: [Infinity, Math.min, Math.min],
};

/**
 * argMax/argMin along one run of `n` values read by `at(k)`: ties go to the first index (the last
 * with `selectLastIndex`); the first NaN wins (the last with `selectLastIndex`).
 */
export function argIndex(n: number, at: (k: number) => number, better: (v: number, best: number) => boolean, selectLast: boolean): number {
  let bestIndex = 0;
  let best = at(0);
  for (let k = 1; k < n; k++) {
    const v = at(k);
    if (best !== best) {
      if (!selectLast) break;
      if (v !== v) bestIndex = k;
    } else if (v !== v || better(v, best) || (selectLast && v === best)) {
      best = v;
      bestIndex = k;
    }
  }
  return bestIndex;
}

/** The comparison argMax and argMin rank by. */
export const ARG_BETTER: Readonly<Record<"argMax" | "argMin", (v: number, best: number) => boolean>> = {
  argMax: (v, best) => v > best,
  argMin: (v, best) => v < best,
};
