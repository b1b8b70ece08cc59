/**
 * A lone exp, sigmoid or tanh on float32 runs as a one-step fused WASM program and equals the
 * reference exactly (specials and the ranges where the exact math switches forms included).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { randomValues } from "../test-utils.ts";

const fast = new CpuDevice({ threads: 2 });
const reference = new CpuDevice({ wasm: false });
after(() => fast.dispose());

/** Runs `op` on the fast device; `modules` counts the generated modules it ran. */
function runTracing(op: string, inputs: HostInput[]) {
  const rt = fast.fast!.runtime;
  let modules = 0;
  const original = rt.runModule;
  rt.runModule = (...args) => (modules++, original.apply(rt, args));
  try {
    return { values: Array.from(runOp(op, inputs, {}, { device: fast })[0]!.values), modules };
  } finally {
    rt.runModule = original;
  }
}

const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 88.7, -88.7, 89, -104, 20, -20, 9.01, -9.01, 0.55, -0.55];

for (const op of ["exp", "sigmoid", "tanh"]) {
  test(`${op} alone runs the fused WASM loop and matches the reference exactly`, () => {
    const values = [...SPECIALS, ...randomValues(4000, 7).map((v, i) => v * (i % 3 === 0 ? 30 : 3))];
    const x: HostInput = { values, shape: [values.length] };
    const got = runTracing(op, [x]);
    assert.equal(got.modules, 1);
    const expected = runOp(op, [x], {}, { device: reference })[0]!.values;
    // Object.is: -0 apart from +0, NaN equal to NaN (its payload is no part of the value).
    const differing = got.values.flatMap((v, i) => (Object.is(v, expected[i]) ? [] : [`x=${values[i]}: ${v} vs ${expected[i]}`]));
    assert.deepEqual(differing, []);
  });
}

test("tanh of a transposed view is right (the fused kernel's JavaScript path)", () => {
  const values = randomValues(6 * 5, 3).map((v) => v * 4);
  const x: HostInput = { values, shape: [5, 6], strides: [1, 5] };
  const expected = runOp("tanh", [x], {}, { device: reference })[0]!.values;
  assert.deepEqual(runTracing("tanh", [x]).values, Array.from(expected));
});
