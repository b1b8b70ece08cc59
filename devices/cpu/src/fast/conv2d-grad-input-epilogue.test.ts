import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runConvGradInputEpilogue } from "./conv2d-grad-input-epilogue.ts";
import { programAttrs, PROGRAMS, runInLoop, tensor, twoPass } from "./testing/epilogue-in-loop.ts";

const devices = [new CpuDevice({ threads: 1 }), new CpuDevice({ threads: 2 })];
after(() => devices.forEach((d) => d.dispose()));

/** Forward geometries whose input gradient runs as a stride-1 conv: edge tiles, groups, dilation, two K blocks, a pool-sized job. */
const LAYERS: { name: string; x: number[]; w: number[]; attrs: Attrs }[] = [
  { name: "3x3 padded, 6 -> 5 channels at 5x7", x: [2, 6, 5, 7], w: [5, 6, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  { name: "3x2 unpadded, dilated, with groups", x: [1, 8, 9, 10], w: [6, 4, 3, 2], attrs: { dilations: [2, 1], groups: 2 } },
  { name: "OC·9 = 450 (two K blocks)", x: [1, 50, 6, 6], w: [50, 50, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  { name: "2.3M multiply-adds, 16 channels at 19x21", x: [2, 16, 19, 21], w: [16, 16, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
];

const inputShape = (g: (typeof LAYERS)[number]) => ({ inputShape: g.x });

function gradOutShape(g: (typeof LAYERS)[number]): number[] {
  const [dh, dw] = (g.attrs.dilations as number[] | undefined) ?? [1, 1];
  const [pt, pl, pb, pr] = (g.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
  return [g.x[0]!, g.w[0]!, g.x[2]! + pt! + pb! - dh! * (g.w[2]! - 1), g.x[3]! + pl! + pr! - dw! * (g.w[3]! - 1)];
}

for (const g of LAYERS) {
  for (const [program, p] of Object.entries(PROGRAMS)) {
    test(`conv2dGradInputEpilogue in the GEMM equals the input gradient then the program, bit for bit: ${g.name}, ${program}`, () => {
      const [n, c, h, w] = g.x as [number, number, number, number];
      const base = [tensor(gradOutShape(g), 1), tensor(g.w, 2)];
      const extras = p.extra ? [[tensor([c, 1, 1], 4)], [tensor([n, c, h, w], 5)], [tensor([1], 6)]] : [[]];
      for (const device of devices) {
        for (const extra of extras) {
          const inputs = [...base, ...extra];
          const attrs = { ...g.attrs, ...inputShape(g), ...programAttrs(program), baseInputs: 2 };
          const got = runInLoop(runConvGradInputEpilogue, "conv2dGradInputEpilogue", inputs, attrs, device);
          assert.ok(got, `the in-loop path took it (${device.fast!.threads} threads, extra ${JSON.stringify(extra[0]?.shape)})`);
          assert.deepEqual(got, twoPass("conv2dGradInputEpilogue", inputs, attrs, device));
        }
      }
    });
  }
}

test("a training step's ReLU-masked residual gradient (add, compare with a scalar, cast, mul) runs in the GEMM", () => {
  const program = JSON.stringify([
    { op: "add", args: [1, 0] },
    { op: "greater", args: [2, 3] },
    { op: "cast", args: [5], to: "float32" },
    { op: "mul", args: [4, 6] },
  ]);
  const inputs = [tensor([2, 8, 9, 9], 1), tensor([8, 8, 3, 3], 2), tensor([2, 8, 9, 9], 3), tensor([2, 8, 9, 9], 4), tensor([], 5)];
  const attrs = { pads: [1, 1, 1, 1], inputShape: [2, 8, 9, 9], program, outputs: [7], baseInputs: 2 };
  for (const device of devices) {
    const got = runInLoop(runConvGradInputEpilogue, "conv2dGradInputEpilogue", inputs, attrs, device);
    assert.ok(got);
    assert.deepEqual(got, twoPass("conv2dGradInputEpilogue", inputs, attrs, device));
  }
});

test("the in-loop input-gradient epilogue declines the layers col2im or the depthwise kernel runs, writing nothing", () => {
  const device = devices[0]!;
  const relu = { ...programAttrs("relu"), baseInputs: 2 };
  const declines = (inputs: Parameters<typeof runInLoop>[2], attrs: Attrs, why: string) =>
    assert.equal(runInLoop(runConvGradInputEpilogue, "conv2dGradInputEpilogue", inputs, { ...relu, ...attrs }, device), undefined, why);
  declines([tensor([1, 4, 3, 3], 1), tensor([4, 4, 3, 3], 2)], { strides: [2, 2], pads: [1, 1, 1, 1], inputShape: [1, 4, 6, 6] }, "stride 2: col2im");
  declines([tensor([1, 8, 5, 5], 1), tensor([8, 4, 3, 3], 2)], { pads: [1, 1, 1, 1], inputShape: [1, 4, 5, 5] }, "more output than input channels: col2im");
  declines([tensor([1, 3, 5, 5], 1), tensor([3, 1, 3, 3], 2)], { pads: [1, 1, 1, 1], groups: 3, inputShape: [1, 3, 5, 5] }, "depthwise: the direct kernel");
});
