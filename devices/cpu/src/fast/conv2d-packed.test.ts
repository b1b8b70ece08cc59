/**
 * The forward conv and the weight gradient whose GEMMs pack their panels from a padded copy of the
 * input (no cols matrix, wasm/kernels/conv-pack.ts) against the reference kernel: strides 1-3, asymmetric padding,
 * dilation, groups, odd sizes (output rows that are not a multiple of the 4- and 8-column
 * groups, rows narrower than 4), batches, bias, K split into blocks, chunks of output rows on 2
 * threads (same bits as 1 thread). The launch spy reads the geometry record to prove which
 * packing each case ran.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { window2d, type Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { CONV } from "../wasm/kernels/conv.ts";
import { assertNear, draws, launched, operand } from "./testing/conv2d.ts";

const fast = new CpuDevice({ threads: 2 });
const single = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([fast.dispose(), single.dispose()]));

const PACK_FROM_INPUT = CONV.fields.indexOf("packFromInput");

/** `op` on the fast device: its values, and whether its (single) conv launch packed from the input. */
function fastRun(op: string, kernel: string, inputs: HostInput[], attrs: Attrs): { values: ArrayLike<number>; packed: boolean } {
  let packed: boolean | undefined;
  const got = launched(fast, op, inputs, attrs, (name, args, i32) => {
    if (name === kernel) packed = i32[args[0]! / 4 + PACK_FROM_INPUT] === 1;
  });
  assert.deepEqual(got.kernels, [kernel]);
  return { values: got.values, packed: packed! };
}

/** Checks `op` against the reference and 1 thread; returns whether it packed from the input. */
function checkOp(op: string, kernel: string, inputs: HostInput[], attrs: Attrs, terms: number, what: string): boolean {
  const got = fastRun(op, kernel, inputs, attrs);
  assertNear(got.values, runOp(op, inputs, attrs, { device: reference })[0]!.values, terms, what);
  const one = runOp(op, inputs, attrs, { device: single })[0]!.values;
  for (let i = 0; i < one.length; i++) if (!Object.is(one[i], got.values[i])) assert.fail(`${what}: 1 and 2 threads differ at ${i}`);
  return got.packed;
}

/** The forward conv of one geometry; returns whether it packed from the input. */
function check(x: number[], w: number[], attrs: Attrs, withBias: boolean, seed: number): boolean {
  const inputs = [operand(x, seed, seed % 3 === 0 ? 5 : 0), operand(w, seed + 1, 0)];
  if (withBias) inputs.push(operand([w[0]!], seed + 2, 0));
  return checkOp("conv2d", "conv2dForward", inputs, attrs, w[1]! * w[2]! * w[3]!, JSON.stringify({ x, w, attrs, withBias }));
}

/** The weight gradient of one geometry; returns whether it packed from the input. */
function checkGradWeight(x: number[], w: number[], attrs: Attrs, seed: number): boolean {
  const win = window2d("conv2d", x[2]!, x[3]!, w[2]!, w[3]!, attrs);
  const inputs = [operand(x, seed, seed % 3 === 0 ? 5 : 0), operand([x[0]!, w[0]!, win.oh, win.ow], seed + 1, 0)];
  return checkOp("conv2dGradWeight", "conv2dGradWeight", inputs, { ...attrs, weightShape: w }, x[0]! * win.oh * win.ow, JSON.stringify({ x, w, attrs }));
}

/** Random conv geometries that fit, away from the depthwise kernels (Cg >= 2, OCg >= 8). */
function geometries(seed: number, count: number, visit: (x: number[], w: number[], attrs: Attrs, k: number) => void): void {
  const int = draws(seed);
  let done = 0;
  while (done < count) {
    const groups = int(1, 3);
    const [Cg, OCg] = [int(2, 6), int(8, 13)];
    const [KH, KW] = [int(1, 5), int(2, 5)];
    const attrs = {
      strides: [int(1, 3), int(1, 3)],
      pads: [int(0, 3), int(0, 3), int(0, 3), int(0, 3)],
      dilations: [int(1, 2), int(1, 2)],
      groups,
    };
    const x = [int(1, 3), Cg * groups, int(1, 19), int(1, 37)];
    try {
      window2d("conv2d", x[2]!, x[3]!, KH, KW, attrs);
    } catch {
      continue; // the window does not fit: draw again
    }
    visit(x, [OCg * groups, Cg, KH, KW], attrs, done++);
  }
}

test("conv2d packing from the input matches the reference on random geometries (strides, padding, dilation, groups, odd sizes)", () => {
  let packed = 0;
  geometries(23, 80, (x, w, attrs, k) => {
    if (check(x, w, attrs, k % 2 === 0, 400 + k)) packed++;
  });
  assert.ok(packed >= 40, `only ${packed} of 80 cases packed from the input`);
});

test("conv2dGradWeight packing colsᵀ from the input matches the reference on random geometries", () => {
  let packed = 0;
  geometries(31, 80, (x, w, attrs, k) => {
    if (checkGradWeight(x, w, attrs, 600 + k)) packed++;
  });
  assert.ok(packed >= 40, `only ${packed} of 80 cases packed from the input`);
});

test("conv2dGradWeight packing from the input on ResNet shapes, batch split into blocks summed in a fixed order", () => {
  const same = { pads: [1, 1, 1, 1] };
  assert.ok(checkGradWeight([16, 16, 28, 28], [16, 16, 3, 3], same, 11));
  assert.ok(checkGradWeight([4, 16, 28, 28], [32, 16, 3, 3], { ...same, strides: [2, 2] }, 12));
  assert.ok(checkGradWeight([3, 32, 14, 14], [32, 32, 3, 3], same, 13));
  assert.ok(checkGradWeight([5, 1, 28, 28], [16, 1, 3, 3], same, 14));
  assert.ok(checkGradWeight([2, 12, 7, 9], [16, 6, 3, 2], { pads: [0, 2, 1, 0], dilations: [1, 2], groups: 2 }, 15));
});

test("conv2d packing from the input on ResNet shapes: 3x3 same padding at stride 1 and 2, split into row chunks on 2 threads", () => {
  const same = { pads: [1, 1, 1, 1] };
  assert.ok(check([4, 16, 28, 28], [16, 16, 3, 3], same, false, 1));
  assert.ok(check([3, 16, 28, 28], [32, 16, 3, 3], { ...same, strides: [2, 2] }, true, 2));
  assert.ok(check([2, 32, 14, 14], [32, 32, 3, 3], same, false, 3));
  assert.ok(check([4, 1, 28, 28], [16, 1, 3, 3], same, true, 4));
  // R = 64·9 = 576 rows: K runs in two blocks.
  assert.ok(check([1, 64, 9, 11], [12, 64, 3, 3], same, true, 5));
  // One image of many output rows: the 2-thread run splits it into row chunks.
  assert.ok(check([1, 8, 61, 45], [16, 8, 3, 3], { pads: [2, 0, 1, 3], dilations: [2, 1] }, false, 6));
});

test("a strided 1x1 conv (whose padded copy would outweigh its cols matrix) still unfolds a cols matrix", () => {
  assert.equal(check([2, 16, 28, 28], [32, 16, 1, 1], { strides: [2, 2] }, true, 7), false);
});
