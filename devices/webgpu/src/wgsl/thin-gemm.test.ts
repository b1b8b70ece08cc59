import assert from "node:assert/strict";
import { test } from "node:test";
import type { Attrs } from "@polychip/hal";
import { matchesCpu, runGpu, t, values, type HostInput } from "../testing/harness.ts";
import { THIN_ROWS } from "./thin-gemm.ts";
import { forceGemmTile } from "./tiled-gemm.ts";

const TOL = { rtol: 1e-4, atol: 1e-5 };

/** The op on the thin GEMM (unforced, few rows) and on the 64 tile: the same sums in the same order. */
async function thinEqualsTiled(op: string, inputs: HostInput[], attrs: Attrs): Promise<void> {
  await matchesCpu(op, inputs, attrs, TOL);
  const thin = await runGpu(op, inputs, attrs);
  forceGemmTile("64");
  try {
    const tiled = await runGpu(op, inputs, attrs);
    assert.deepEqual([...thin[0]!.values], [...tiled[0]!.values]);
  } finally {
    forceGemmTile(undefined);
  }
}

test("a depthwise 5x5 convolution (one row per group) runs thin and gives the tiled GEMM's values", async () => {
  const x = t(values(1 * 6 * 5 * 7, -1, 1, 1), [1, 6, 5, 7]);
  const w = t(values(6 * 25, -1, 1, 2), [6, 1, 5, 5]);
  await thinEqualsTiled("conv2d", [x, w, t(values(6, -1, 1, 3), [6])], { groups: 6, pads: [2, 2, 2, 2], strides: [2, 1] });
});

test(`a grouped convolution with ${THIN_ROWS} output channels a group and a batch of 2 runs thin`, async () => {
  const x = t(values(2 * 4 * 6 * 6, -1, 1, 4), [2, 4, 6, 6]);
  const w = t(values(8 * 2 * 9, -1, 1, 5), [8, 2, 3, 3]);
  await thinEqualsTiled("conv2d", [x, w], { groups: 2, pads: [1, 1, 1, 1] });
});

test("a batched matrix-vector product (one row) runs thin, transposed operands too", async () => {
  const a = t(values(3 * 1 * 37, -1, 1, 6), [3, 1, 37]);
  const b = t(values(3 * 37 * 70, -1, 1, 7), [3, 37, 70]);
  await thinEqualsTiled("matmul", [a, b], {});
  await thinEqualsTiled("matmul", [t(values(3 * 37 * 2, -1, 1, 8), [3, 37, 2]), b], { transposeA: true });
});
