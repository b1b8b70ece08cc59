import { openOutput, readValues } from "../views.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

type UnaryFn = (x: number) => number;

/** Round half to even (banker's rounding), keeping the sign of zero. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // halves go up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * Gauss error function to double precision. Uses erf(x) = 2/√π · e^(-x²) · Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)),
 * whose terms are all positive (no cancellation); beyond |x| = 6 erf is ±1 to double precision.
 */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  const twoX2 = 2 * ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-ax * ax) * sum;
  return x < 0 ? -r : x === 0 ? x : r;
}

const FUNCTIONS: Record<string, UnaryFn> = {
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

/** Integer results are stored through the output's typed array, which wraps them like two's-complement hardware. */
function unaryKernel(fn: UnaryFn): CpuKernel {
  return ({ inputs: [x], outputs: [y] }) => {
    const xs = readValues(x!);
    const out = openOutput(y!);
    const v = out.values;
    for (let i = 0; i < xs.length; i++) v[i] = fn(xs[i]!);
    out.commit();
  };
}

/** relu runs on every activation in training: a loop without a call per element. */
const reluKernel: CpuKernel = ({ inputs: [x], outputs: [y] }) => {
  const xs = readValues(x!);
  const out = openOutput(y!);
  const v = out.values;
  for (let i = 0; i < xs.length; i++) {
    const a = xs[i]!;
    v[i] = a > 0 || a !== a ? a : 0;
  }
  out.commit();
};

/** log(1 + exp(beta·x)) / beta in double precision, in the form that never overflows. */
const softplusKernel: CpuKernel = ({ inputs: [x], outputs: [y], attrs }) => {
  const beta = typeof attrs.beta === "number" ? attrs.beta : 1;
  const xs = readValues(x!);
  const out = openOutput(y!);
  const v = out.values;
  for (let i = 0; i < xs.length; i++) {
    const z = beta * xs[i]!;
    v[i] = (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))) / beta;
  }
  out.commit();
};

export const unaryKernels: CpuRegistration[] = [
  ...Object.entries(FUNCTIONS).map(([op, fn]) => cpuKernel(op, op === "relu" ? reluKernel : unaryKernel(fn))),
  cpuKernel("softplus", softplusKernel),
];
