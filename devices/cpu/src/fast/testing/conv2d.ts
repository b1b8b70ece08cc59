/** Helpers of the convolution fast-path tests: a launch spy, a tolerance check, random draws, offset operands. */
import assert from "node:assert/strict";
import { sizeOf, type Attrs } from "@polychip/hal";
import type { CpuDevice } from "../../device.ts";
import { runOp, type HostInput } from "../../testing.ts";
import { randomValues } from "../../test-utils.ts";

/**
 * Runs `op` on `device`, returning its values and the WASM exports it launched; `inspect` sees
 * each launch's arguments while its records are still in memory.
 */
export function launched(
  device: CpuDevice,
  op: string,
  inputs: HostInput[],
  attrs: Attrs,
  inspect?: (name: string, args: readonly number[], i32: Int32Array) => void,
): { values: ArrayLike<number>; kernels: string[] } {
  const rt = device.fast!.runtime;
  const kernels: string[] = [];
  const run = rt.run;
  rt.run = (pool, name, args, ...rest) => {
    kernels.push(name);
    inspect?.(name, args, rt.i32);
    return run.call(rt, pool, name, args, ...rest);
  };
  try {
    return { values: runOp(op, inputs, attrs, { device })[0]!.values, kernels };
  } finally {
    rt.run = run;
  }
}

export function assertNear(got: ArrayLike<number>, want: ArrayLike<number>, terms: number, what: string): void {
  const tol = 2e-6 * Math.max(8, terms);
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)))) assert.fail(`${what}: element ${i} is ${got[i]}, the reference gives ${want[i]}`);
  }
}

/** xorshift stream of small integers for drawing geometries. */
export function draws(seed: number) {
  const u = randomValues(100_000, seed);
  let i = 0;
  return (lo: number, hi: number) => lo + Math.floor(((u[i++ % u.length]! + 1) / 2) * (hi - lo + 1));
}

/** An input given contiguous or at an offset inside a larger buffer (the layouts the fast path takes). */
export function operand(shape: number[], seed: number, offset: number): HostInput {
  const values = randomValues(sizeOf(shape) + offset, seed);
  if (offset === 0) return { values, shape };
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return { values, shape, offset, strides };
}
