import { isFloat, type KernelFn, type KernelRegistration } from "@polychip/hal";
import { loadValues, storeValues, type HostBuffer } from "@polychip/plugin-sdk";

type Fn1 = (x: number) => number;
type Fn2 = (a: number, b: number) => number;

const kernel = (op: string, fn: KernelFn<HostBuffer>): KernelRegistration<HostBuffer> => ({ device: "template", op, dtypes: "*", kernel: fn });

/** Round half to even, keeping the sign of zero. */
const roundHalfEven: Fn1 = (x) => {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** Gauss error function by its power series (all terms positive, so no cancellation); ±1 beyond |x| = 6. */
const erf: Fn1 = (x) => {
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * ax * ax) / (2 * n + 1);
    sum += term;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-ax * ax) * sum;
  return x < 0 ? -r : x === 0 ? x : r;
};

const UNARY: Record<string, Fn1> = {
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
const intPow: Fn2 = (a, b) => {
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
const floatPow: Fn2 = (a, b) => (a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : Math.pow(a, b));

/** Floor modulo: the result takes the divisor's sign (a zero result too, for floats). */
const floatMod: Fn2 = (a, b) => {
  const r = a % b;
  if (r === 0) return b < 0 ? -0 : 0;
  return r < 0 !== b < 0 ? r + b : r;
};
const intMod: Fn2 = (a, b) => {
  if (b === 0) return 0;
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
};

/** [float, integer] versions; integer results are exact in float64 (or wrap via Math.imul) and the store wraps them to the dtype. */
const BINARY: Record<string, [Fn2, Fn2]> = {
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

/** Elementwise inputs may be any strided view (stride 0 = broadcast): loadValues reads through the strides. */
export const elementwiseKernels: KernelRegistration<HostBuffer>[] = [
  ...Object.entries(UNARY).map(([op, fn]) =>
    kernel(op, ({ inputs: [x], outputs: [y] }) => {
      storeValues(y!, loadValues(x!).map(fn));
    }),
  ),
  ...Object.entries(BINARY).map(([op, [floatFn, intFn]]) =>
    kernel(op, ({ inputs: [a, b], outputs: [y] }) => {
      const fn = isFloat(a!.dtype) ? floatFn : intFn;
      const as = loadValues(a!, y!.shape);
      const bs = loadValues(b!, y!.shape);
      storeValues(y!, as.map((v, i) => fn(v, bs[i]!)));
    }),
  ),
  kernel("where", ({ inputs: [cond, a, b], outputs: [y] }) => {
    const cs = loadValues(cond!, y!.shape);
    const as = loadValues(a!, y!.shape);
    const bs = loadValues(b!, y!.shape);
    storeValues(y!, cs.map((c, i) => (c !== 0 ? as[i]! : bs[i]!)));
  }),
];
