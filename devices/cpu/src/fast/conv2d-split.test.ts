/**
 * Forward convs with too few output rows to give each thread a chunk (1-D convs: one row) split
 * each chunk further, into blocks of output columns (wide rows, each block packing from its own
 * slice of the padded input) or of output channels (short rows). Each case checks the split it
 * launched (the geometry record's countB and splitColumns), the values against the reference
 * kernel, and that 2 threads give the bits of 1.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp } from "../testing.ts";
import { CONV } from "../wasm/kernels/conv.ts";
import { assertNear, launched, operand } from "./testing/conv2d.ts";

const fast = new CpuDevice({ threads: 2 });
const single = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([fast.dispose(), single.dispose()]));

const field = (name: (typeof CONV.fields)[number]) => CONV.fields.indexOf(name);

/** Runs conv2d on 2 threads against the reference and 1 thread; returns the forward launch's split. */
function check(x: number[], w: number[], attrs: Attrs, withBias: boolean): { blocks: number; columns: boolean } {
  const inputs = [operand(x, 3, 0), operand(w, 4, 0)];
  if (withBias) inputs.push(operand([w[0]!], 5, 0));
  let split: { blocks: number; columns: boolean } | undefined;
  const got = launched(fast, "conv2d", inputs, attrs, (name, args, i32) => {
    const at = args[0]! / 4;
    if (name === "conv2dForward") split = { blocks: i32[at + field("countB")]!, columns: i32[at + field("splitColumns")] === 1 };
  });
  const what = JSON.stringify({ x, w, attrs });
  assertNear(got.values, runOp("conv2d", inputs, attrs, { device: reference })[0]!.values, w[1]! * w[2]! * w[3]!, what);
  const one = runOp("conv2d", inputs, attrs, { device: single })[0]!.values;
  for (let i = 0; i < one.length; i++) if (!Object.is(one[i], got.values[i])) assert.fail(`${what}: 1 and 2 threads differ at ${i}`);
  assert.ok(split, `${what}: the GEMM forward ran`);
  return split;
}

test("a wide 1-D conv splits its one row into blocks of columns, each padding its own slice", () => {
  const split = check([1, 16, 1, 1500], [24, 16, 1, 7], { pads: [0, 3, 0, 3] }, true);
  assert.ok(split.columns && split.blocks > 1, JSON.stringify(split));
});

test("column blocks read the right input with dilation, stride and uneven padding", () => {
  const cases: Attrs[] = [
    { pads: [0, 9, 0, 9], dilations: [1, 3] },
    { pads: [0, 5, 0, 1], dilations: [1, 5] },
    { pads: [0, 2, 0, 3], strides: [1, 2] },
    { pads: [0, 0, 0, 0] },
  ];
  for (const attrs of cases) {
    const split = check([1, 16, 1, 2001], [20, 16, 1, 7], attrs, false);
    assert.ok(split.columns && split.blocks > 1, `${JSON.stringify(attrs)}: ${JSON.stringify(split)}`);
  }
});

test("a batch and groups of 1-D convs split each image's and group's row", () => {
  const split = check([2, 16, 1, 3003], [24, 8, 1, 5], { pads: [0, 2, 0, 2], groups: 2 }, true);
  assert.ok(split.columns && split.blocks > 1, JSON.stringify(split));
});

test("a 1x1 1-D conv splits its columns of the image itself", () => {
  const split = check([1, 32, 1, 9001], [18, 32, 1, 1], {}, true);
  assert.ok(split.columns && split.blocks > 1, JSON.stringify(split));
});

test("a short 1-D conv with many channels splits its output channels", () => {
  const split = check([1, 64, 1, 21], [342, 64, 1, 5], { pads: [0, 2, 0, 2] }, true);
  assert.ok(!split.columns && split.blocks > 1, JSON.stringify(split));
});

test("a conv with enough rows for every thread is not split further", () => {
  assert.deepEqual(check([1, 16, 40, 40], [16, 16, 3, 3], { pads: [1, 1, 1, 1] }, false), { blocks: 1, columns: false });
});
