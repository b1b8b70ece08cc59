import { test } from "node:test";
import type { Attrs } from "@polychip/hal";
import { matchesCpu, t, values } from "../testing/harness.ts";

const TOL = { rtol: 1e-4, atol: 1e-5 };

interface Case {
  readonly name: string;
  readonly x: number[];
  readonly w: number[];
  readonly attrs: Attrs;
}

// Odd sizes, strides, asymmetric padding, dilation and groups: geometry the 64 x 64 tile does not divide.
const CASES: Case[] = [
  { name: "3x3 same padding", x: [2, 3, 7, 6], w: [5, 3, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  { name: "stride 2, asymmetric pads", x: [1, 2, 9, 8], w: [4, 2, 3, 2], attrs: { strides: [2, 2], pads: [0, 1, 2, 0] } },
  { name: "dilation 2", x: [1, 2, 8, 8], w: [3, 2, 3, 3], attrs: { dilations: [2, 2], pads: [2, 2, 2, 2] } },
  { name: "groups 2", x: [2, 4, 5, 5], w: [6, 2, 3, 3], attrs: { groups: 2, pads: [1, 1, 1, 1] } },
  { name: "depthwise 1x1 stride 3", x: [1, 3, 7, 7], w: [3, 1, 1, 1], attrs: { groups: 3, strides: [3, 3] } },
];

for (const c of CASES) {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const x = t(values(size(c.x), -1, 1, 1), c.x);
  const w = t(values(size(c.w), -1, 1, 2), c.w);

  test(`conv2d ${c.name}`, async () => {
    await matchesCpu("conv2d", [x, w], c.attrs, TOL);
    await matchesCpu("conv2d", [x, w, t(values(c.w[0]!, -1, 1, 3), [c.w[0]!])], c.attrs, TOL);
  });

  test(`conv2dGradInput and conv2dGradWeight ${c.name}`, async () => {
    const { runOp } = await import("@polychip/device-cpu");
    const y = runOp("conv2d", [x, w], c.attrs)[0]!;
    const gradOut = t(values(size(y.shape), -1, 1, 4), y.shape);
    await matchesCpu("conv2dGradInput", [gradOut, w], { ...c.attrs, inputShape: c.x }, TOL);
    await matchesCpu("conv2dGradWeight", [x, gradOut], { ...c.attrs, weightShape: c.w }, TOL);
  });
}

test("conv2d on float16 accumulates in float32", async () => {
  await matchesCpu(
    "conv2d",
    [t(values(2 * 5 * 5, -1, 1, 5), [1, 2, 5, 5], "float16"), t(values(3 * 2 * 9, -1, 1, 6), [3, 2, 3, 3], "float16")],
    {},
    { rtol: 3e-3, atol: 3e-3 },
  );
});

test("conv2d and its gradients on every GEMM tile", async () => {
  const { forceGemmTile } = await import("../wgsl/tiled-gemm.ts");
  const { runOp } = await import("@polychip/device-cpu");
  const c = CASES[1]!;
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const x = t(values(size(c.x), -1, 1, 7), c.x);
  const w = t(values(size(c.w), -1, 1, 8), c.w);
  const y = runOp("conv2d", [x, w], c.attrs)[0]!;
  const gradOut = t(values(size(y.shape), -1, 1, 9), y.shape);
  try {
    for (const tile of ["32", "64", "128"] as const) {
      forceGemmTile(tile);
      await matchesCpu("conv2d", [x, w, t(values(c.w[0]!, -1, 1, 3), [c.w[0]!])], c.attrs, TOL);
      await matchesCpu("conv2dGradInput", [gradOut, w], { ...c.attrs, inputShape: c.x }, TOL);
      await matchesCpu("conv2dGradWeight", [x, gradOut], { ...c.attrs, weightShape: c.w }, TOL);
    }
  } finally {
    forceGemmTile(undefined);
  }
});

test("conv2d and its gradients with the geometry baked into the shader and in uniforms", async () => {
  const { forceConvGeometryBaking } = await import("../families/conv.ts");
  const { runOp } = await import("@polychip/device-cpu");
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  try {
    for (const baked of [true, false]) {
      forceConvGeometryBaking(baked);
      for (const c of [CASES[1]!, CASES[3]!]) {
        const x = t(values(size(c.x), -1, 1, 10), c.x);
        const w = t(values(size(c.w), -1, 1, 11), c.w);
        const yShape = runOp("conv2d", [x, w], c.attrs)[0]!.shape;
        const gradOut = t(values(size(yShape), -1, 1, 12), yShape);
        await matchesCpu("conv2d", [x, w, t(values(c.w[0]!, -1, 1, 13), [c.w[0]!])], c.attrs, TOL);
        await matchesCpu("conv2dGradInput", [gradOut, w], { ...c.attrs, inputShape: c.x }, TOL);
        await matchesCpu("conv2dGradWeight", [x, gradOut], { ...c.attrs, weightShape: c.w }, TOL);
      }
    }
  } finally {
    forceConvGeometryBaking(undefined);
  }
});
