/**
 * Convolutions with a few output positions (a 1-D conv over a short frame) on the dot-product
 * path, against the reference kernel: random geometries with padding, strides, dilation, batches
 * and bias; Silero VAD's shapes; the same bits on 1 and 2 threads; and the GEMM still taking
 * problems with more positions. A spy on the runtime shows which WASM kernel ran.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { sizeOf, window2d, type Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { randomValues } from "../test-utils.ts";
import { FEW_POSITIONS } from "./conv2d-few-positions.ts";

const pair = new CpuDevice({ threads: 2 });
const single = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([pair.dispose(), single.dispose()]));

function launched(device: CpuDevice, inputs: HostInput[], attrs: Attrs): { values: ArrayLike<number>; kernels: string[] } {
  const rt = device.fast!.runtime;
  const kernels: string[] = [];
  const run = rt.run;
  rt.run = (pool, name, ...rest) => (kernels.push(name), run.call(rt, pool, name, ...rest));
  try {
    return { values: runOp("conv2d", inputs, attrs, { device })[0]!.values, kernels };
  } finally {
    rt.run = run;
  }
}

function check(x: number[], w: number[], attrs: Attrs, withBias: boolean, seed: number, kernel = "matmulDot"): void {
  const inputs: HostInput[] = [
    { values: randomValues(sizeOf(x), seed), shape: x },
    { values: randomValues(sizeOf(w), seed + 1).map((v) => v / Math.sqrt(w[1]! * w[2]! * w[3]!)), shape: w },
  ];
  if (withBias) inputs.push({ values: randomValues(w[0]!, seed + 2), shape: [w[0]!] });
  const what = JSON.stringify({ x, w, attrs, withBias });
  const got = launched(pair, inputs, attrs);
  assert.deepEqual(got.kernels, [kernel], `${what} ran ${got.kernels.join(", ")}`);
  const want = runOp("conv2d", inputs, attrs, { device: reference })[0]!.values;
  assert.equal(got.values.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got.values[i]! - want[i]!) <= 2e-6 * (1 + Math.abs(want[i]!))))
      assert.fail(`${what}: element ${i} is ${got.values[i]}, the reference gives ${want[i]}`);
  }
  const one = runOp("conv2d", inputs, attrs, { device: single })[0]!.values;
  for (let i = 0; i < one.length; i++) if (!Object.is(one[i], got.values[i])) assert.fail(`${what}: 1 and 2 threads differ at ${i}`);
}

test("few-position conv2d matches the reference on random geometries (padding, strides, dilation, batches)", () => {
  const u = randomValues(50_000, 5);
  let k = 0;
  const int = (lo: number, hi: number) => lo + Math.floor(((u[k++]! + 1) / 2) * (hi - lo + 1));
  let done = 0;
  while (done < 60) {
    const [KH, KW] = [int(1, 3), int(2, 6)];
    const attrs = { strides: [int(1, 2), int(1, 4)], pads: [int(0, 1), int(0, 3), int(0, 1), int(0, 3)], dilations: [int(1, 2), int(1, 2)] };
    const x = [int(1, 2), int(1, 19), int(1, 4), int(1, 14)];
    let positions: number;
    try {
      const win = window2d("conv2d", x[2]!, x[3]!, KH, KW, attrs);
      positions = x[0]! * win.oh * win.ow;
    } catch {
      continue; // the window does not fit: draw again
    }
    if (positions > FEW_POSITIONS) continue;
    check(x, [int(1, 37), x[1]!, KH, KW], attrs, done % 2 === 0, done);
    done++;
  }
});

test("Silero VAD's convolutions take the dot path and match the reference", () => {
  check([1, 1, 1, 576], [258, 1, 1, 256], { strides: [1, 128] }, false, 201);
  check([1, 129, 1, 3], [128, 129, 1, 3], { pads: [0, 1, 0, 1] }, true, 202);
  check([1, 128, 1, 3], [64, 128, 1, 3], { strides: [1, 2], pads: [0, 1, 0, 1] }, true, 203);
  check([1, 64, 1, 1], [128, 64, 1, 3], { pads: [0, 1, 0, 1] }, true, 204);
});

test("more output positions, groups, or an unpadded 1x1 conv leave the conv to the other paths", () => {
  check([1, 4, 1, 12], [8, 4, 1, 3], { pads: [0, 1, 0, 1] }, true, 301, "conv2dForward");
  check([1, 4, 1, 3], [8, 2, 1, 3], { pads: [0, 1, 0, 1], groups: 2 }, true, 302, "conv2dForward");
  check([5, 16, 1, 1], [8, 16, 1, 1], {}, true, 303, "gemmNarrow");
});
