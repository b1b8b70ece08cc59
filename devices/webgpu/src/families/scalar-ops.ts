import { DTypeError, type DType } from "@polychip/hal";
import { scalarOf, type Scalar } from "../wgsl/dtypes.ts";
import { elementwise } from "./elementwise.ts";
import type { WebGpuKernel } from "./registration.ts";

/** WGSL expressions of an op for each computing type of its inputs (f32 for floats, i32 for integers, bool). */
export interface ScalarExprs<F> {
  readonly f32?: F;
  readonly i32?: F;
  readonly bool?: F;
}

function pick<F>(op: string, exprs: ScalarExprs<F>, dtype: DType): { fn: F; s: Scalar } {
  const s = scalarOf(dtype);
  const fn = exprs[s];
  if (!fn) throw new DTypeError(`webgpu: ${op} has no kernel for ${dtype}`);
  return { fn, s };
}

export type UnaryExprs = ScalarExprs<(x: string) => string>;
export type BinaryExprs = ScalarExprs<(a: string, b: string) => string>;

export function unaryKernel(op: string, exprs: UnaryExprs): WebGpuKernel {
  return ({ inputs: [x], outputs: [y] }, device) => {
    const { fn, s } = pick(op, exprs, x!.dtype);
    elementwise(device, { op, key: `${op}:${s}`, inputs: [x!], output: y!, expr: ([a]) => fn(a!) });
  };
}

/** Binary, compare and logical ops: two inputs of one dtype, broadcast against each other. */
export function binaryKernel(op: string, exprs: BinaryExprs): WebGpuKernel {
  return ({ inputs: [a, b], outputs: [y] }, device) => {
    const { fn, s } = pick(op, exprs, a!.dtype);
    elementwise(device, { op, key: `${op}:${s}`, inputs: [a!, b!], output: y!, expr: ([x, z]) => fn(x!, z!) });
  };
}
