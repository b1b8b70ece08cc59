/**
 * The direct convolution kernels (depthwise / one input channel per group, ...) against the
 * reference kernel on random geometries: asymmetric padding, dilation, strides 1-3, odd sizes,
 * channel multipliers, batches, offset operands, with and without bias; and the same bits on 1
 * and 2 threads. A spy on the runtime proves each case really ran the direct kernel.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { sizeOf, window2d, type Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { randomValues } from "../test-utils.ts";

const fast = new CpuDevice({ threads: 2 });
const single = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([fast.dispose(), single.dispose()]));

/** Runs `op` on `device`, returning its values and the WASM exports it launched. */
function launched(device: CpuDevice, op: string, inputs: HostInput[], attrs: Attrs): { values: ArrayLike<number>; kernels: string[] } {
  const rt = device.fast!.runtime;
  const kernels: string[] = [];
  const run = rt.run;
  rt.run = (pool, name, ...rest) => {
    kernels.push(name);
    return run.call(rt, pool, name, ...rest);
  };
  try {
    return { values: runOp(op, inputs, attrs, { device })[0]!.values, kernels };
  } finally {
    rt.run = run;
  }
}

function assertNear(got: ArrayLike<number>, want: ArrayLike<number>, terms: number, what: string): void {
  const tol = 2e-6 * Math.max(8, terms);
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tol * (1 + Math.abs(want[i]!)))) assert.fail(`${what}: element ${i} is ${got[i]}, the reference gives ${want[i]}`);
  }
}

/** xorshift stream of small integers for drawing geometries. */
function draws(seed: number) {
  const u = randomValues(100_000, seed);
  let i = 0;
  return (lo: number, hi: number) => lo + Math.floor(((u[i++ % u.length]! + 1) / 2) * (hi - lo + 1));
}

/** An input given contiguous or at an offset inside a larger buffer (the layouts the fast path takes). */
function operand(shape: number[], seed: number, offset: number): HostInput {
  const values = randomValues(sizeOf(shape) + offset, seed);
  if (offset === 0) return { values, shape };
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return { values, shape, offset, strides };
}

function checkCase(x: number[], w: number[], attrs: Attrs, withBias: boolean, seed: number, kernel: string): void {
  const what = JSON.stringify({ x, w, attrs, withBias });
  const inputs = [operand(x, seed, seed % 3 === 0 ? 7 : 0), operand(w, seed + 1, seed % 2 === 0 ? 3 : 0)];
  if (withBias) inputs.push(operand([w[0]!], seed + 2, 0));
  const got = launched(fast, "conv2d", inputs, attrs);
  assert.deepEqual(got.kernels, [kernel], `${what} ran ${got.kernels.join(", ")}`);
  const want = runOp("conv2d", inputs, attrs, { device: reference })[0]!.values;
  assertNear(got.values, want, w[1]! * w[2]! * w[3]!, what);
  const one = runOp("conv2d", inputs, attrs, { device: single })[0]!.values;
  for (let i = 0; i < one.length; i++) if (!Object.is(one[i], got.values[i])) assert.fail(`${what}: 1 and 2 threads differ at ${i}`);
}

test("depthwise conv2d (one input channel per group) matches the reference on random geometries", () => {
  const int = draws(41);
  let done = 0;
  while (done < 120) {
    const C = int(1, 9);
    const mult = int(1, 3);
    const [KH, KW] = [int(1, 7), int(1, 7)];
    const attrs = {
      strides: [int(1, 3), int(1, 3)],
      pads: [int(0, 3), int(0, 3), int(0, 3), int(0, 3)],
      dilations: [int(1, 3), int(1, 3)],
      groups: C,
    };
    const x = [int(1, 3), C, int(1, 23), int(1, 41)];
    try {
      window2d("conv2d", x[2]!, x[3]!, KH, KW, attrs);
    } catch {
      continue; // the window does not fit: draw again
    }
    checkCase(x, [C * mult, 1, KH, KW], attrs, done % 2 === 0, done, "conv2dDepthwise");
    done++;
  }
});

test("depthwise conv2d on MobileNet shapes: 3x3 / 5x5, stride 1 and 2, same padding, big enough to split across threads", () => {
  const shapes: [number[], number, number][] = [
    [[1, 240, 12, 40], 5, 1],
    [[1, 128, 12, 80], 3, 2],
    [[2, 32, 48, 64], 3, 2],
    [[1, 200, 2, 96], 5, 1],
    [[1, 384, 3, 4], 5, 1],
  ];
  shapes.forEach(([x, k, s], i) => {
    const p = (k - 1) / 2;
    checkCase(x, [x[1]!, 1, k, k], { strides: [s, s], pads: [p, p, p, p], groups: x[1]! }, i % 2 === 0, 100 + i, "conv2dDepthwise");
  });
});

test("a single-channel image with a few output channels (groups = 1, Cg = 1) takes the direct kernel, with many the GEMM", () => {
  checkCase([4, 1, 28, 28], [4, 1, 3, 3], { pads: [1, 1, 1, 1] }, true, 7, "conv2dDepthwise");
  checkCase([4, 1, 28, 28], [32, 1, 3, 3], { pads: [1, 1, 1, 1] }, true, 8, "conv2dForward");
});
