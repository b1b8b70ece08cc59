/**
 * conv2d keeps its route (few-position plan or geometry record) per attrs object: one attrs object
 * run again with other shapes, with and without bias, and on devices with other thread counts must
 * derive afresh and give the reference's values every time.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { sizeOf, type Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { randomValues } from "../test-utils.ts";

const pair = new CpuDevice({ threads: 2 });
const single = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([pair.dispose(), single.dispose()]));

function operands(x: number[], w: number[], withBias: boolean, seed: number): HostInput[] {
  const inputs: HostInput[] = [
    { values: randomValues(sizeOf(x), seed), shape: x },
    { values: randomValues(sizeOf(w), seed + 1), shape: w },
  ];
  if (withBias) inputs.push({ values: randomValues(w[0]!, seed + 2), shape: [w[0]!] });
  return inputs;
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)))) assert.fail(`${what}: element ${i} is ${got[i]}, the reference gives ${want[i]}`);
  }
}

test("one attrs object run with other shapes derives its route afresh each time", () => {
  const attrs: Attrs = { pads: [0, 1, 0, 1] };
  // Few positions, then the GEMM (more positions), a depthwise-free 2-D map, and few positions again with bias.
  const cases: [number[], number[], boolean][] = [
    [[1, 6, 1, 3], [5, 6, 1, 3], false],
    [[1, 6, 1, 20], [5, 6, 1, 3], true],
    [[2, 3, 7, 9], [4, 3, 1, 3], false],
    [[1, 6, 1, 3], [5, 6, 1, 3], true],
    [[1, 6, 1, 3], [7, 6, 1, 3], true],
  ];
  for (const [index, [x, w, withBias]] of cases.entries()) {
    const inputs = operands(x, w, withBias, 10 * index);
    const want = runOp("conv2d", inputs, attrs, { device: reference })[0]!.values;
    for (let run = 0; run < 2; run++) assertClose(runOp("conv2d", inputs, attrs, { device: pair })[0]!.values, want, `case ${index} run ${run}`);
  }
});

test("one attrs object on devices with other thread counts gives the same bits as a fresh one", () => {
  const shared: Attrs = { strides: [1, 2] };
  for (const [x, w] of [
    [
      [1, 16, 1, 9],
      [40, 16, 1, 3],
    ],
    [
      [1, 8, 12, 12],
      [16, 8, 3, 3],
    ],
  ]) {
    const inputs = operands(x!, w!, true, 7);
    for (const device of [single, pair, single]) {
      const fresh = runOp("conv2d", inputs, { strides: [1, 2] }, { device })[0]!.values;
      const kept = runOp("conv2d", inputs, shared, { device })[0]!.values;
      assert.deepEqual(Array.from(kept), Array.from(fresh), `${JSON.stringify({ x, w })} on ${device === single ? 1 : 2} threads`);
    }
  }
});
