import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runConvEpilogue } from "./conv2d-epilogue.ts";
import { programAttrs, PROGRAMS, runInLoop, tensor, twoPass } from "./testing/epilogue-in-loop.ts";

const devices = [new CpuDevice({ threads: 1 }), new CpuDevice({ threads: 2 })];
after(() => devices.forEach((d) => d.dispose()));

/** Geometries whose GEMM has edge tiles (output channels not a multiple of 4, positions not of 8) and, for the last, two K blocks. */
const CONVS: { name: string; x: number[]; w: number[]; attrs: Attrs }[] = [
  { name: "3x3 padded, 6 channels at 5x7", x: [2, 3, 5, 7], w: [6, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  { name: "1x1 over 9x9 (the image is the GEMM's B), 13 channels", x: [1, 5, 9, 9], w: [13, 5, 1, 1], attrs: {} },
  { name: "stride 2 with groups", x: [2, 4, 11, 10], w: [6, 2, 3, 3], attrs: { strides: [2, 2], pads: [1, 0, 1, 0], groups: 2 } },
  { name: "R = 450 (two K blocks), 5 channels", x: [1, 50, 6, 6], w: [5, 50, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  // Enough multiply-adds to split over the worker pool on the 2-thread device.
  { name: "2.3M multiply-adds, 19 channels at 19x21", x: [2, 16, 19, 21], w: [19, 16, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  // 1-D convs (one output row) on 2 threads: each row splits into blocks of columns, or of output channels.
  { name: "1-D, 4M multiply-adds in blocks of columns", x: [1, 16, 1, 1501], w: [23, 16, 1, 7], attrs: { pads: [0, 3, 0, 3] } },
  { name: "1-D, 2.2M multiply-adds in blocks of channels", x: [1, 64, 1, 20], w: [342, 64, 1, 5], attrs: { pads: [0, 2, 0, 2] } },
  // The direct depthwise kernel: rows of 16, 8, 4 outputs and a partial tail; stride 2; any stride (one output at a time).
  { name: "depthwise 3x3, rows of 31", x: [2, 3, 5, 31], w: [3, 1, 3, 3], attrs: { pads: [1, 1, 1, 1], groups: 3 } },
  { name: "depthwise 5x5 stride 2, channel multiplier 2", x: [1, 3, 12, 13], w: [6, 1, 5, 5], attrs: { pads: [2, 2, 2, 2], strides: [2, 2], groups: 3 } },
  { name: "depthwise stride 3", x: [1, 2, 10, 11], w: [2, 1, 3, 3], attrs: { pads: [1, 1, 1, 1], strides: [3, 3], groups: 2 } },
  // The narrow GEMM (1x1 over at most 64 positions): 8-, 4- and 1-column tails, 4-row and 1-row tails, groups.
  { name: "1x1 over 7x9 (narrow), 7 channels", x: [2, 5, 7, 9], w: [7, 5, 1, 1], attrs: {} },
  { name: "1x1 over 3x5 (narrow) with groups", x: [1, 6, 3, 5], w: [10, 3, 1, 1], attrs: { groups: 2 } },
];

/** Extra input of a program that takes one: a per-channel bias, a residual, a scalar. */
function extraInputs(n: number, oc: number, out: number[], seed: number) {
  return { "per channel": tensor([oc, 1, 1], seed), residual: tensor([n, oc, ...out], seed), scalar: tensor([1], seed) };
}

for (const g of CONVS) {
  for (const [program, p] of Object.entries(PROGRAMS)) {
    test(`conv2dEpilogue in the GEMM equals the conv then the program, bit for bit: ${g.name}, ${program}`, () => {
      const [n] = g.x as [number];
      const oc = g.w[0]!;
      const base = [tensor(g.x, 1), tensor(g.w, 2), tensor([oc], 3)];
      const out = outSize(g);
      const extras = p.extra ? Object.values(extraInputs(n, oc, out, 4)).map((e) => [e]) : [[]];
      for (const device of devices) {
        for (const extra of extras) {
          const inputs = [...base, ...extra];
          const attrs = { ...g.attrs, ...programAttrs(program), baseInputs: 3 };
          const got = runInLoop(runConvEpilogue, "conv2dEpilogue", inputs, attrs, device);
          assert.ok(got, `the in-loop path took it (${device.fast!.threads} threads, extra ${JSON.stringify(extra[0]?.shape)})`);
          assert.deepEqual(got, twoPass("conv2dEpilogue", inputs, attrs, device));
        }
      }
    });
  }
}

test("a conv without its own bias runs the epilogue in the GEMM too", () => {
  const inputs = [tensor([1, 3, 6, 6], 1), tensor([7, 3, 3, 3], 2)];
  const attrs = { pads: [1, 1, 1, 1], ...programAttrs("hardswish"), baseInputs: 2 };
  const got = runInLoop(runConvEpilogue, "conv2dEpilogue", inputs, attrs, devices[0]!);
  assert.deepEqual(got, twoPass("conv2dEpilogue", inputs, attrs, devices[0]!));
});

test("the in-loop conv epilogue declines what it does not take, writing nothing", () => {
  const device = devices[0]!;
  const relu = { ...programAttrs("relu"), baseInputs: 2 };
  // A 1x1 conv of a 1x1 image: dot products run it (then the program as a second pass).
  assert.equal(runInLoop(runConvEpilogue, "conv2dEpilogue", [tensor([1, 4, 1, 1], 1), tensor([5, 4, 1, 1], 2)], relu, device), undefined);
  // An extra input broadcast along the rows of the output plane: not addressable per tile.
  const row = { ...programAttrs("add then relu"), baseInputs: 2 };
  assert.equal(
    runInLoop(runConvEpilogue, "conv2dEpilogue", [tensor([1, 3, 6, 6], 1), tensor([5, 3, 3, 3], 2), tensor([6], 3)], { ...row, pads: [1, 1, 1, 1] }, device),
    undefined,
  );
  // A bool output.
  const positive = {
    program: JSON.stringify([
      { op: "const", args: [], value: 0 },
      { op: "greater", args: [0, 1] },
    ]),
    outputs: [2],
    baseInputs: 2,
  };
  assert.equal(runInLoop(runConvEpilogue, "conv2dEpilogue", [tensor([1, 3, 6, 6], 1), tensor([5, 3, 3, 3], 2)], positive, device), undefined);
});

function outSize(g: (typeof CONVS)[number]): [number, number] {
  const [sh, sw] = (g.attrs.strides as number[] | undefined) ?? [1, 1];
  const [pt, pl, pb, pr] = (g.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
  return [Math.floor((g.x[2]! + pt! + pb! - g.w[2]!) / sh!) + 1, Math.floor((g.x[3]! + pl! + pr! - g.w[3]!) / sw!) + 1];
}

test("several extra inputs at once (a per-channel scale, scalars, a residual) run in every kernel's store", () => {
  // (product · scale[c] + shift) · gain + residual, as a model's affine activation leaves it.
  const program = JSON.stringify([
    { op: "mul", args: [0, 1] },
    { op: "add", args: [5, 2] },
    { op: "mul", args: [6, 3] },
    { op: "add", args: [7, 4] },
  ]);
  const geometries: { x: number[]; w: number[]; attrs: Attrs }[] = [
    { x: [1, 5, 7, 9], w: [7, 5, 1, 1], attrs: {} },
    { x: [1, 3, 5, 31], w: [3, 1, 3, 3], attrs: { pads: [1, 1, 1, 1], groups: 3 } },
    { x: [1, 3, 9, 10], w: [6, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  ];
  for (const g of geometries) {
    const oc = g.w[0]!;
    const [h, w] = [g.x[2]!, g.x[3]!]; // every geometry here keeps the size
    const inputs = [tensor(g.x, 1), tensor(g.w, 2), tensor([oc], 3), tensor([oc, 1, 1], 4), tensor([1], 5), tensor([1], 6), tensor([1, oc, h, w], 7)];
    const attrs = { ...g.attrs, program, outputs: [8], baseInputs: 3 };
    for (const device of devices) {
      const got = runInLoop(runConvEpilogue, "conv2dEpilogue", inputs, attrs, device);
      assert.ok(got, JSON.stringify(g));
      assert.deepEqual(got, twoPass("conv2dEpilogue", inputs, attrs, device));
    }
  }
});
