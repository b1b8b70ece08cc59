import assert from "node:assert/strict";
import { test } from "node:test";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";

/** reduceMax / reduceMin of x on the WASM kernel and on the JavaScript reference (wasm off). */
function both(op: string, x: HostInput, axes: number[]): [Float32Array, Float32Array] {
  const [fast] = runOp(op, [x], { axes, keepDims: false }, { device: new CpuDevice() });
  const [reference] = runOp(op, [x], { axes, keepDims: false }, { device: new CpuDevice({ wasm: false }) });
  return [fast!.values as Float32Array, reference!.values as Float32Array];
}

/** Deterministic values in [-1, 1) with one `special` value planted at each of `at`. */
function values(n: number, seed: number, special?: number, at: number[] = []): number[] {
  let s = seed >>> 0 || 1;
  const out = Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1);
  for (const i of at) out[i] = special!;
  return out;
}

test("reduceMax and reduceMin over long contiguous runs (four accumulators, vector and scalar tails) equal the reference bit for bit", () => {
  // Lengths around multiples of 16 (the four-vector step) and 4 (the one-vector step).
  for (const n of [15, 16, 17, 63, 64, 67, 1000, 5472, 5475]) {
    for (const op of ["reduceMax", "reduceMin"]) {
      const x: HostInput = { values: values(n, n), shape: [n], dtype: "float32" };
      const [got, want] = both(op, x, [0]);
      assert.ok(Object.is(got[0], want[0]), `${op} of ${n}: ${got[0]} vs ${want[0]}`);
    }
  }
});

test("reduceMax and reduceMin propagate a NaN from any accumulator or tail position, and order -0 below +0", () => {
  const n = 1000 + 7;
  // Positions in each of the four accumulators, the one-vector step and the scalar tail.
  for (const at of [0, 5, 22, 47, 63, 992, 996, 1006]) {
    for (const op of ["reduceMax", "reduceMin"]) {
      const [got] = both(op, { values: values(n, at + 1, NaN, [at]), shape: [n], dtype: "float32" }, [0]);
      assert.ok(Number.isNaN(got[0]), `${op} with NaN at ${at}: ${got[0]}`);
    }
  }
  // Only zeros of both signs: max is +0 and min is -0 wherever each sign sits.
  for (const at of [3, 40, 1003]) {
    const zeros: HostInput = { values: values(n, 1, 0, []).map((_, i) => (i === at ? 0 : -0)), shape: [n], dtype: "float32" };
    assert.ok(Object.is(both("reduceMax", zeros, [0])[0][0], 0), `max of -0s and a +0 at ${at}`);
    const negZero: HostInput = { values: values(n, 1, 0, []).map((_, i) => (i === at ? -0 : 0)), shape: [n], dtype: "float32" };
    assert.ok(Object.is(both("reduceMin", negZero, [0])[0][0], -0), `min of +0s and a -0 at ${at}`);
  }
});

test("reduceMax over every axis of a [1, 19, 288] activation (one output, DynamicQuantizeLinear's range) equals the reference", () => {
  const x: HostInput = { values: values(19 * 288, 3), shape: [1, 19, 288], dtype: "float32" };
  for (const op of ["reduceMax", "reduceMin"]) {
    const [got, want] = both(op, x, [0, 1, 2]);
    assert.deepEqual(Array.from(got), Array.from(want), op);
  }
});
