import assert from "node:assert/strict";
import { test } from "node:test";
import { CpuDevice } from "../device.ts";
import { referenceKernels } from "../kernels/index.ts";
import { runOp, type HostInput, type HostOutput } from "../testing.ts";
import { fastDynamicQuantize } from "./dynamic-quantize.ts";
import { referenceKernel } from "./support.ts";

const declined = () => {
  throw new Error("the WASM kernel declined");
};
/** The WASM kernel alone: a reference that throws proves it did not decline. */
const wasm = (x: HostInput): HostOutput[] => runOp("dynamicQuantizeLinear", [x], {}, { device: new CpuDevice(), kernel: fastDynamicQuantize(declined).kernel });
/** The HAL's decomposition on the reference kernels. */
const reference = (x: HostInput): HostOutput[] =>
  runOp("dynamicQuantizeLinear", [x], {}, { device: new CpuDevice({ wasm: false }), kernel: referenceKernel(referenceKernels, "dynamicQuantizeLinear") });
const f32 = (values: number[], shape = [values.length]): HostInput => ({ values, shape, dtype: "float32" });

/** Deterministic float32 values spread over [lo, hi). */
function spread(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround(lo + ((hi - lo) * s) / 2 ** 32);
  });
}

/** ONNX's formula in float32, written out: the oracle independent of the decomposition. */
function onnx(values: number[]): { y: number[]; scale: number; zeroPoint: number } {
  const f = Math.fround;
  const even = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
  const lo = Math.min(...values, 0);
  const hi = Math.max(...values, 0);
  const scale = f(f(hi - lo) / 255);
  const clamp = (v: number) => Math.min(Math.max(v, 0), 255);
  const zeroPoint = clamp(even(f(-lo / scale)));
  return { y: values.map((v) => clamp(even(f(v / scale)) + zeroPoint)), scale, zeroPoint };
}

function assertEqual(got: HostOutput[], want: HostOutput[], what: string): void {
  got.forEach((g, i) => {
    assert.deepEqual(g.shape, want[i]!.shape, `${what}: output ${i}'s shape`);
    assert.deepEqual(Array.from(g.values), Array.from(want[i]!.values), `${what}: output ${i}`);
  });
}

test("dynamicQuantizeLinear WASM: values, scale and zero point equal the decomposition's for sizes around the vector widths", () => {
  for (const n of [1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 5472, 21889]) {
    for (const [lo, hi] of [
      [-3, 5],
      [0.25, 7],
      [-9, -0.5],
    ] as const) {
      const x = f32(spread(n, lo, hi, n * 7 + 1));
      assertEqual(wasm(x), reference(x), `n ${n} in [${lo}, ${hi})`);
    }
  }
});

test("dynamicQuantizeLinear WASM: a model-shaped activation matches ONNX's formula", () => {
  const values = spread(19 * 288, -4.2, 6.1, 11);
  const [y, scale, zeroPoint] = wasm(f32(values, [1, 19, 288]));
  const want = onnx(values);
  assert.deepEqual(y!.shape, [1, 19, 288]);
  assert.equal(scale!.values[0], want.scale);
  assert.equal(zeroPoint!.values[0], want.zeroPoint);
  assert.deepEqual(Array.from(y!.values), want.y);
});

test("dynamicQuantizeLinear WASM: halves round to even and values saturate at 0 and 255", () => {
  // Range [0, 255]: scale 1, zero point 0, so x / scale is x itself.
  const [y, scale, zeroPoint] = wasm(f32([255, 2.5, 3.5, 0.5, 1.5, 254.5, 0, 17.25, 100.5, 101.5, 0.75, 9.5, 10.5, 11.5, 12.5, 13.5, 128.5]));
  assert.equal(scale!.values[0], 1);
  assert.equal(zeroPoint!.values[0], 0);
  assert.deepEqual(Array.from(y!.values), [255, 2, 4, 0, 2, 254, 0, 17, 100, 102, 1, 10, 10, 12, 12, 14, 128]);
  // A zero point from a negative minimum: -lo / scale = 25.5 rounds to 26.
  const x = f32([-25.5, 229.5, 0, 1]);
  assertEqual(wasm(x), reference(x), "zero point at a half");
  assert.equal(wasm(x)[2]!.values[0], 26);
});

test("dynamicQuantizeLinear: NaN, infinite and all-zero inputs leave the WASM kernel to the decomposition", () => {
  for (const values of [
    [1, NaN, 2, 3, 4],
    [0, 0, 0, 0, 0],
    [1, Infinity, 2],
    [-Infinity, 3],
  ]) {
    assert.throws(() => wasm(f32(values)), /declined/, `[${values}]`);
    const registered = runOp("dynamicQuantizeLinear", [f32(values)], {}, { device: new CpuDevice() });
    assertEqual(registered, reference(f32(values)), `[${values}] through the registered kernel`);
  }
});
