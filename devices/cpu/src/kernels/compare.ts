import { mapBinary, type BinaryFn } from "./elementwise.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** Comparisons write bool 0/1. NaN compares unequal to everything, itself included. Bool inputs count any nonzero byte as true. */
const COMPARE_OPS: Record<string, { numeric: BinaryFn; bool?: BinaryFn }> = {
  equal: { numeric: (a, b) => (a === b ? 1 : 0), bool: (a, b) => ((a !== 0) === (b !== 0) ? 1 : 0) },
  notEqual: { numeric: (a, b) => (a !== b ? 1 : 0), bool: (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0) },
  less: { numeric: (a, b) => (a < b ? 1 : 0) },
  lessEqual: { numeric: (a, b) => (a <= b ? 1 : 0) },
  greater: { numeric: (a, b) => (a > b ? 1 : 0) },
  greaterEqual: { numeric: (a, b) => (a >= b ? 1 : 0) },
};

const LOGICAL_OPS: Record<string, BinaryFn> = {
  logicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  logicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  logicalXor: (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0),
};

export const compareKernels: CpuRegistration[] = [
  ...Object.entries(COMPARE_OPS).map(([op, fns]) =>
    cpuKernel(op, ({ inputs: [a, b], outputs: [y] }) => {
      mapBinary(a!, b!, y!, a!.dtype === "bool" && fns.bool ? fns.bool : fns.numeric);
    }),
  ),
  ...Object.entries(LOGICAL_OPS).map(([op, fn]) =>
    cpuKernel(op, ({ inputs: [a, b], outputs: [y] }) => {
      mapBinary(a!, b!, y!, fn);
    }),
  ),
];
