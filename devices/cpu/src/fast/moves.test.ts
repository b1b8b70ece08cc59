/**
 * The WASM strided moves (copy, concat) against the reference kernels: permuted, sliced, stepped
 * and broadcast views of random shapes, float32 specials and int32 bit patterns moved unchanged,
 * strided destinations, on 1 and 2 threads; overlapping views and regions too deep for four dims
 * go to the reference and still come out right.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { contiguousStrides, KernelRegistry, sizeOf, type DType } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, uploadView, type HostInput } from "../testing.ts";
import { randomValues } from "../test-utils.ts";
import { copyKernels } from "../kernels/copy.ts";
import { cpuKernels } from "../registrations.ts";

const fast = new CpuDevice({ threads: 2 });
const single = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([fast.dispose(), single.dispose()]));

/** Runs `op` on `device`; `moved` says whether the WASM move loop ran. */
function runCounting(device: CpuDevice, op: string, inputs: HostInput[], attrs = {}, into?: HostInput) {
  const rt = device.fast?.runtime;
  let moved = false;
  const original = rt?.run;
  if (rt) rt.run = (pool, name, ...rest) => ((moved ||= name === "move4"), original!.call(rt, pool, name, ...rest));
  try {
    return { values: Array.from(runOp(op, inputs, attrs, { device, into })[0]!.values), moved };
  } finally {
    if (rt) rt.run = original!;
  }
}

/** Values whose bits must survive: NaN, -0 and infinities among random floats; any int32 pattern. */
function valuesOf(n: number, dtype: DType, seed: number): number[] {
  const u = randomValues(n, seed);
  return u.map((v, i) => (dtype === "int32" ? ((i * 2654435761) | 0) ^ 0x5a5a5a5a : ([NaN, -0, Infinity, -Infinity][i % 29] ?? v)));
}

/** A random view into a buffer of its own: the dims permuted, some sliced with steps, maybe one broadcast. */
function randomView(seed: number, dtype: DType): HostInput {
  const u = randomValues(64, seed);
  let k = 0;
  const int = (lo: number, hi: number) => lo + Math.floor(((u[k++]! + 1) / 2) * (hi - lo + 1));
  const rank = int(1, 5);
  const base = Array.from({ length: rank }, () => int(1, 7));
  if (seed % 5 === 0) base[int(0, rank - 1)] = 41;
  const baseStrides = contiguousStrides(base);
  const perm = [...base.keys()].sort(() => u[k++]! - 0);
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = 0;
  for (const d of perm) {
    const step = base[d]! > 2 && u[k++]! > 0.4 ? 2 : 1;
    const start = base[d]! > 1 && u[k++]! > 0.5 ? 1 : 0;
    shape.push(Math.ceil((base[d]! - start) / step));
    strides.push(baseStrides[d]! * step);
    offset += start * baseStrides[d]!;
  }
  if (seed % 7 === 0) strides[int(0, rank - 1)] = 0;
  return { values: valuesOf(sizeOf(base), dtype, seed), shape, strides, offset, dtype };
}

test("copy matches the reference bit for bit on random strided views (float32 and int32, 1 and 2 threads)", () => {
  for (let seed = 1; seed <= 60; seed++) {
    const dtype: DType = seed % 3 === 0 ? "int32" : "float32";
    const x = randomView(seed, dtype);
    const expected = runOp("copy", [x], {}, { device: reference })[0]!.values;
    for (const device of [fast, single]) {
      const got = runCounting(device, "copy", [x]);
      assert.deepEqual(got.values, Array.from(expected), JSON.stringify({ seed, shape: x.shape, strides: x.strides }));
    }
  }
});

test("copy runs the WASM move for a transposed attention cache and keeps NaN payload bits", () => {
  const bits = Array.from({ length: 8 * 40 * 36 }, (_, i) => (i % 11 === 0 ? 0x7fa00001 + i : (i * 2654435761) | 0));
  const x: HostInput = { values: bits, shape: [1, 8, 40, 36], strides: [11520, 36, 288, 1], dtype: "int32" };
  const got = runCounting(fast, "copy", [x]);
  assert.ok(got.moved);
  const f32 = new Float32Array(new Int32Array(bits).buffer);
  const expected = runOp("copy", [{ ...x, values: f32, dtype: "float32" }], {}, { device: reference })[0]!.values;
  const asFloat = runCounting(fast, "copy", [{ ...x, values: f32, dtype: "float32" }]);
  assert.deepEqual(got.values, Array.from(runOp("copy", [x], {}, { device: reference })[0]!.values));
  assert.deepEqual(new Int32Array(Float32Array.from(asFloat.values).buffer), new Int32Array(Float32Array.from(expected).buffer));
});

test("copy writes a strided destination and leaves the elements between untouched", () => {
  const into: HostInput = { values: [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1], shape: [3, 2], strides: [4, 2], offset: 1 };
  const got = runCounting(fast, "copy", [{ values: [1, 2, 3, 4, 5, 6], shape: [3, 2] }], {}, into);
  assert.ok(got.moved);
  assert.deepEqual(got.values, [-1, 1, -1, 2, -1, 3, -1, 4, -1, 5, -1, 6]);
});

test("copy between overlapping views of one buffer declines the WASM move and reads before it writes", () => {
  const d = new CpuDevice({ threads: 1 });
  const v = uploadView(d, { values: [1, 2, 3, 4, 5], shape: [5], dtype: "float32" });
  const registry = new KernelRegistry();
  registry.registerAll(cpuKernels);
  const kernel = registry.find("cpu", "copy", "float32")!.kernel;
  assert.notEqual(kernel, copyKernels[0]!.kernel, "the fast copy is registered");
  d.launch(kernel, { op: "copy", inputs: [{ ...v, shape: [4], offset: 0 }], outputs: [{ ...v, shape: [4], offset: 1 }], attrs: {} });
  assert.deepEqual([...new Float32Array(d.readSync(v.buffer, 0, 20).buffer)], [1, 1, 2, 3, 4]);
  void d.dispose();
});

test("copy of a region that does not merge to four dims runs the reference and is right", () => {
  const base = [2, 3, 2, 3, 2];
  const strides = contiguousStrides(base);
  // All five dims reversed: no neighbours step as one run on both sides.
  const x: HostInput = { values: valuesOf(72, "float32", 9), shape: [...base].reverse(), strides: [...strides].reverse() };
  const got = runCounting(fast, "copy", [x]);
  assert.equal(got.moved, false);
  assert.deepEqual(got.values, Array.from(runOp("copy", [x], {}, { device: reference })[0]!.values));
});

test("concat of strided inputs matches the reference on every axis (float32 and int32)", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const dtype: DType = seed % 4 === 0 ? "int32" : "float32";
    const first = randomView(seed, dtype);
    const rank = first.shape.length;
    const axis = seed % rank;
    const secondShape = first.shape.map((n, d) => (d === axis ? (seed % 3) + 1 : n));
    // The second input transposed in its buffer: its last two dims swapped when it has two.
    const storage = rank >= 2 ? [...secondShape.slice(0, -2), secondShape[rank - 1]!, secondShape[rank - 2]!] : secondShape;
    const cs = contiguousStrides(storage);
    const secondStrides = rank >= 2 ? [...cs.slice(0, -2), cs[rank - 1]!, cs[rank - 2]!] : cs;
    const second: HostInput = { values: valuesOf(sizeOf(secondShape), dtype, seed + 100), shape: secondShape, strides: secondStrides, dtype };
    const expected = runOp("concat", [first, second], { axis }, { device: reference })[0]!.values;
    for (const device of [fast, single]) {
      const got = runCounting(device, "concat", [first, second], { axis });
      assert.deepEqual(got.values, Array.from(expected), JSON.stringify({ seed, axis, first: first.shape, second: secondShape }));
    }
  }
});

test("concat interleaves two stepped slices along a last axis of one (rotary rotate-half)", () => {
  const x = Array.from({ length: 2 * 3 * 8 }, (_, i) => i + 0.5);
  // Even and odd elements of the last axis, each given a trailing axis of one.
  const even: HostInput = { values: x, shape: [2, 3, 4, 1], strides: [24, 8, 2, 1] };
  const odd: HostInput = { values: x, shape: [2, 3, 4, 1], strides: [24, 8, 2, 1], offset: 1 };
  const got = runCounting(fast, "concat", [odd, even], { axis: 3 });
  assert.ok(got.moved);
  const expected = Array.from({ length: 24 }, (_, p) => [x[2 * p + 1]!, x[2 * p]!]).flat();
  assert.deepEqual(got.values, expected);
});
