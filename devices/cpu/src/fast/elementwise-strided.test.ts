/**
 * The WASM elementwise kernels on strided inputs against the reference: a transposed operand is
 * read through a contiguous arena copy (binary ops), a sliced or stepped one is moved into the
 * output and mapped there in place (unary ops); values bit for bit, on 1 and 2 threads.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { sizeOf } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { randomValues } from "../test-utils.ts";

const fast = new CpuDevice({ threads: 2 });
const single = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([fast.dispose(), single.dispose()]));

/** Runs `op` on `device`; `ran` lists the WASM exports it called. */
function runTracing(device: CpuDevice, op: string, inputs: HostInput[]) {
  const rt = device.fast!.runtime;
  const ran: string[] = [];
  const original = rt.run;
  rt.run = (pool, name, ...rest) => (ran.push(name), original.call(rt, pool, name, ...rest));
  try {
    return { values: Array.from(runOp(op, inputs, {}, { device })[0]!.values), ran };
  } finally {
    rt.run = original;
  }
}

const expectedOf = (op: string, inputs: HostInput[]) => Array.from(runOp(op, inputs, {}, { device: reference })[0]!.values);

/** [b, h, d, n] read from a [b, n, h, d] buffer: attention's transposed key. */
function transposedKey(b: number, h: number, n: number, d: number, seed: number): HostInput {
  const values = randomValues(b * n * h * d, seed).map((v, i) => (i % 31 === 0 ? NaN : i % 37 === 0 ? -0 : v * 4));
  return { values, shape: [b, h, d, n], strides: [n * h * d, d, 1, h * d] };
}

test("mul of a transposed key by a scalar runs in WASM through an arena copy and matches the reference", () => {
  const k = transposedKey(1, 8, 40, 36, 3);
  const scale: HostInput = { values: [0.40824829], shape: [1] };
  for (const device of [fast, single]) {
    const got = runTracing(device, "mul", [k, scale]);
    assert.deepEqual(got.ran, ["move4", "binary_mul"]);
    assert.deepEqual(got.values, expectedOf("mul", [k, scale]));
  }
});

test("binary ops with both operands transposed, or one transposed and one broadcast, match the reference", () => {
  for (const op of ["add", "sub", "mul", "div", "maximum", "minimum", "greater"]) {
    const a = transposedKey(2, 3, 5, 7, 11);
    const b = transposedKey(2, 3, 5, 7, 12);
    const row: HostInput = { values: randomValues(5, 13), shape: [5] };
    for (const inputs of [
      [a, b],
      [row, a],
      [a, row],
    ]) {
      const got = runTracing(fast, op, inputs);
      assert.ok(got.ran.includes("move4"), op);
      assert.deepEqual(got.values, expectedOf(op, inputs), op);
    }
  }
});

test("unary ops on a stepped slice move it into the output and map it there (neg of rotary odd elements)", () => {
  const x = randomValues(8 * 19 * 36, 5).map((v, i) => (i % 23 === 0 ? NaN : v));
  // Odd elements of the first 32 of each row of 36: shape [8, 19, 16], strides [684, 36, 2], offset 1.
  const odd: HostInput = { values: x, shape: [8, 19, 16], strides: [684, 36, 2], offset: 1 };
  for (const op of ["neg", "abs", "sqrt", "relu", "round"]) {
    for (const device of [fast, single]) {
      const got = runTracing(device, op, [odd]);
      assert.deepEqual(got.ran, ["move4", `unary_${op}`], op);
      assert.deepEqual(got.values, expectedOf(op, [odd]), op);
    }
  }
  assert.equal(sizeOf(odd.shape), 8 * 19 * 16);
});

test("a fused program with a transposed input reads it through an arena copy in the WASM loop", () => {
  // A layer norm's (x - mean)² over a [1, 19, 288] value that is the transpose of a conv's [1, 288, 19] output.
  const x: HostInput = { values: randomValues(288 * 19, 8).map((v) => v * 3), shape: [1, 19, 288], strides: [5472, 1, 19] };
  const mean: HostInput = { values: randomValues(19, 9), shape: [1, 19, 1] };
  const attrs = {
    program: JSON.stringify([
      { op: "const", args: [], to: "float32", value: 2 },
      { op: "sub", args: [0, 1] },
      { op: "pow", args: [3, 2] },
    ]),
    outputs: [3, 4],
  };
  const expected = runOp("fused", [x, mean], attrs, { device: reference });
  for (const device of [fast, single]) {
    const rt = device.fast!.runtime;
    const calls: string[] = [];
    const [run, runModule] = [rt.run, rt.runModule];
    rt.run = (pool, name, ...rest) => (calls.push(name), run.call(rt, pool, name, ...rest));
    rt.runModule = (...args) => (calls.push("module"), runModule.apply(rt, args));
    try {
      const got = runOp("fused", [x, mean], attrs, { device });
      assert.deepEqual(calls, ["move4", "module"]);
      got.forEach((out, k) => assert.deepEqual(Array.from(out.values), Array.from(expected[k]!.values), `output ${k}`));
    } finally {
      [rt.run, rt.runModule] = [run, runModule];
    }
  }
});
