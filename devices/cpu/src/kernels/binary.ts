import { isFloat } from "@polychip/hal";
import { mapBinary, type BinaryFn } from "./elementwise.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** C pow semantics where JavaScript's differ: 1^y = 1 and (-1)^±Inf = 1 even for NaN/Inf exponents. */
export function floatPow(a: number, b: number): number {
  if (a === 1) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}

/** Integer power by squaring, wrapping like 32-bit hardware. Negative exponents truncate 1/a^|b| toward zero. */
export function intPow(a: number, b: number): number {
  if (b < 0) {
    if (a === 1) return 1;
    if (a === -1) return b % 2 === 0 ? 1 : -1;
    return 0;
  }
  let result = 1;
  let base = a | 0;
  for (let e = b >>> 0; e > 0; e >>>= 1) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}

/** Floor modulo (Python/NumPy): the result takes the divisor's sign; a zero result is signed like the divisor. */
export function floatMod(a: number, b: number): number {
  const r = a % b;
  if (r === 0) return b < 0 ? -0 : 0;
  return r < 0 !== b < 0 ? r + b : r;
}

export function intMod(a: number, b: number): number {
  if (b === 0) return 0;
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

interface BinaryOp {
  readonly float: BinaryFn;
  /** Integer inputs: results are exact in float64 (or come from Math.imul) and the typed-array store wraps them. */
  readonly int: BinaryFn;
}

const add: BinaryFn = (a, b) => a + b;
const sub: BinaryFn = (a, b) => a - b;

export const BINARY_OPS: Record<string, BinaryOp> = {
  add: { float: add, int: add },
  sub: { float: sub, int: sub },
  mul: { float: (a, b) => a * b, int: Math.imul },
  div: { float: (a, b) => a / b, int: (a, b) => (b === 0 ? 0 : Math.trunc(a / b)) },
  pow: { float: floatPow, int: intPow },
  // Math.max/min already propagate NaN and order -0 below +0.
  maximum: { float: Math.max, int: Math.max },
  minimum: { float: Math.min, int: Math.min },
  mod: { float: floatMod, int: intMod },
  fmod: { float: (a, b) => a % b, int: (a, b) => (b === 0 ? 0 : a % b) },
};

export const binaryKernels: CpuRegistration[] = Object.entries(BINARY_OPS).map(([op, fns]) =>
  cpuKernel(op, ({ inputs: [a, b], outputs: [y] }) => {
    mapBinary(a!, b!, y!, isFloat(a!.dtype) ? fns.float : fns.int);
  }),
);
