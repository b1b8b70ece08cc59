/**
 * The forward conv whose GEMM packs its panels from a padded copy of the input (no cols matrix,
 * wasm/kernels/conv-pack.ts) against the reference kernel: strides 1-3, asymmetric padding,
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
import { assertNear, draws, launched, operand } from "./conv2d-testing.ts";

const fast = new CpuDevice({ threads: 2 });
const single = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([fast.dispose(), single.dispose()]));

const PACK_FROM_INPUT = CONV.fields.indexOf("packFromInput");

/** conv2d on the fast device: its values, and whether its (single) conv2dForward launch packed from the input. */
function forwardRun(inputs: HostInput[], attrs: Attrs): { values: ArrayLike<number>; packed: boolean } {
  let packed: boolean | undefined;
  const got = launched(fast, "conv2d", inputs, attrs, (name, args, i32) => {
    if (name === "conv2dForward") packed = i32[args[0]! / 4 + PACK_FROM_INPUT] === 1;
  });
  assert.deepEqual(got.kernels, ["conv2dForward"]);
  return { values: got.values, packed: packed! };
}

/** Checks one geometry against the reference and 1 thread; returns whether it packed from the input. */
function check(x: number[], w: number[], attrs: Attrs, withBias: boolean, seed: number): boolean {
  const inputs = [operand(x, seed, seed % 3 === 0 ? 5 : 0), operand(w, seed + 1, 0)];
  if (withBias) inputs.push(operand([w[0]!], seed + 2, 0));
  const what = JSON.stringify({ x, w, attrs, withBias });
  const got = forwardRun(inputs, attrs);
  assertNear(got.values, runOp("conv2d", inputs, attrs, { device: reference })[0]!.values, w[1]! * w[2]! * w[3]!, what);
  const one = runOp("conv2d", inputs, attrs, { device: single })[0]!.values;
  for (let i = 0; i < one.length; i++) if (!Object.is(one[i], got.values[i])) assert.fail(`${what}: 1 and 2 threads differ at ${i}`);
  return got.packed;
}

test("conv2d packing from the input matches the reference on random geometries (strides, padding, dilation, groups, odd sizes)", () => {
  const int = draws(23);
  let packed = 0;
  let done = 0;
  while (done < 80) {
    const groups = int(1, 3);
    const [Cg, OCg] = [int(2, 6), int(8, 13)]; // Cg >= 2 and OCg >= 8 keep the depthwise kernel out
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
    if (check(x, [OCg * groups, Cg, KH, KW], attrs, done % 2 === 0, 400 + done)) packed++;
    done++;
  }
  assert.ok(packed >= 40, `only ${packed} of 80 cases packed from the input`);
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
