import { BINARY_SCALAR, isFloat } from "@polychip/hal";
import { mapBinary, type BinaryFn } from "./elementwise.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

interface BinaryOp {
  readonly float: BinaryFn;
  /** Integer inputs: results are exact in float64 (or come from Math.imul) and the typed-array store wraps them. */
  readonly int: BinaryFn;
}

/** The arithmetic primitives, with the HAL's float and integer meanings (comparisons: compare.ts). */
const ARITHMETIC = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "mod", "fmod"] as const;

export const BINARY_OPS: Record<string, BinaryOp> = Object.fromEntries(
  ARITHMETIC.map((op) => [op, { float: BINARY_SCALAR[op]![0], int: BINARY_SCALAR[op]![1] }]),
);

export const binaryKernels: CpuRegistration[] = Object.entries(BINARY_OPS).map(([op, fns]) =>
  cpuKernel(op, ({ inputs: [a, b], outputs: [y] }) => {
    mapBinary(a!, b!, y!, isFloat(a!.dtype) ? fns.float : fns.int);
  }),
);
