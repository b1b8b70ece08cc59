import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError, ShapeError, type Attrs } from "@polychip/hal";
import { assertClose, dot, randomValues } from "../test-utils.ts";
import { run, runOp, t } from "../testing.ts";

interface Case {
  x: [number, number, number, number];
  w: [number, number, number, number];
  attrs: Attrs;
}

/** Direct definition of conv2d, for comparison. */
function naiveConv(x: number[], xs: number[], w: number[], ws: number[], attrs: Attrs, bias?: number[]): number[] {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [OC, Cg, KH, KW] = ws as [number, number, number, number];
  const [sh, sw] = (attrs.strides as number[]) ?? [1, 1];
  const [pt, pl, pb, pr] = (attrs.pads as number[]) ?? [0, 0, 0, 0];
  const [dh, dw] = (attrs.dilations as number[]) ?? [1, 1];
  const groups = (attrs.groups as number) ?? 1;
  const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = bias ? bias[oc]! : 0;
          const g = Math.floor(oc / (OC / groups));
          for (let c = 0; c < Cg; c++)
            for (let ki = 0; ki < KH; ki++)
              for (let kj = 0; kj < KW; kj++) {
                const ih = oh * sh - pt + ki * dh;
                const iw = ow * sw - pl + kj * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += x[((n * C + g * Cg + c) * H + ih) * W + iw]! * w[((oc * Cg + c) * KH + ki) * KW + kj]!;
              }
          out.push(s);
        }
  return out;
}

const CASES: Case[] = [
  { x: [2, 3, 5, 5], w: [4, 3, 3, 3], attrs: {} },
  { x: [1, 2, 7, 6], w: [3, 2, 3, 2], attrs: { strides: [2, 1], pads: [1, 0, 2, 1] } },
  { x: [1, 4, 6, 6], w: [6, 2, 2, 2], attrs: { groups: 2, dilations: [2, 1], pads: [1, 1, 1, 1] } },
  { x: [2, 3, 4, 4], w: [5, 3, 1, 1], attrs: {} },
  { x: [1, 2, 5, 5], w: [2, 1, 3, 3], attrs: { groups: 2, strides: [2, 2], pads: [1, 1, 1, 1] } },
];

test("conv2d by hand: 3x3 input, 2x2 kernel", () => {
  const r = runOp("conv2d", [t([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]), t([1, 0, 0, -1], [1, 1, 2, 2])])[0]!;
  assert.deepEqual(r.shape, [1, 1, 2, 2]);
  assert.deepEqual([...r.values], [-4, -4, -4, -4]);
});

test("conv2d adds the bias per output channel", () => {
  assert.deepEqual(run("conv2d", [t([1, 2, 3, 4], [1, 1, 2, 2]), t([1, 2], [2, 1, 1, 1]), t([10, -10], [2])]), [11, 12, 13, 14, -8, -6, -4, -2]);
});

test("conv2d matches the direct definition over strides, pads, dilations, groups and 1x1 kernels", () => {
  CASES.forEach(({ x, w, attrs }, i) => {
    const xv = randomValues(
      x.reduce((a, b) => a * b),
      10 + i,
    );
    const wv = randomValues(
      w.reduce((a, b) => a * b),
      20 + i,
    );
    const bias = randomValues(w[0], 30 + i);
    assertClose(run("conv2d", [t(xv, x), t(wv, w), t(bias, [w[0]])], attrs), naiveConv(xv, x, wv, w, attrs, bias), 1e-5, 1e-5);
  });
});

test("conv2d reads a strided (channels-last) input view", () => {
  const [N, C, H, W] = [1, 2, 3, 3];
  const nchw = randomValues(N * C * H * W, 41);
  const nhwc = Array.from({ length: nchw.length }, (_, i) => {
    const c = i % C;
    const hw = Math.floor(i / C);
    return nchw[c * H * W + hw]!;
  });
  const w = randomValues(2 * C * 2 * 2, 42);
  const view = t(nhwc, [N, C, H, W], "float32", { strides: [H * W * C, 1, W * C, C] });
  assertClose(run("conv2d", [view, t(w, [2, C, 2, 2])]), naiveConv(nchw, [N, C, H, W], w, [2, C, 2, 2], {}), 1e-6, 1e-6);
});

test("conv2dGradInput is the adjoint of conv2d in x: <conv(x, w), g> = <x, gradInput(g, w)>", () => {
  CASES.forEach(({ x, w, attrs }, i) => {
    const xv = randomValues(
      x.reduce((a, b) => a * b),
      50 + i,
    );
    const wv = randomValues(
      w.reduce((a, b) => a * b),
      60 + i,
    );
    const y = runOp("conv2d", [t(xv, x), t(wv, w)], attrs)[0]!;
    const g = randomValues(y.values.length, 70 + i);
    const dx = runOp("conv2dGradInput", [t(g, y.shape), t(wv, w)], { ...attrs, inputShape: x })[0]!;
    assert.deepEqual(dx.shape, x);
    const lhs = dot(y.values, g);
    assert.ok(Math.abs(lhs - dot(xv, dx.values)) < 1e-4 * (1 + Math.abs(lhs)), `case ${i}`);
  });
});

test("conv2dGradWeight is the adjoint of conv2d in w: <conv(x, w), g> = <w, gradWeight(x, g)>", () => {
  CASES.forEach(({ x, w, attrs }, i) => {
    const xv = randomValues(
      x.reduce((a, b) => a * b),
      80 + i,
    );
    const wv = randomValues(
      w.reduce((a, b) => a * b),
      90 + i,
    );
    const y = runOp("conv2d", [t(xv, x), t(wv, w)], attrs)[0]!;
    const g = randomValues(y.values.length, 100 + i);
    const dw = runOp("conv2dGradWeight", [t(xv, x), t(g, y.shape)], { ...attrs, weightShape: w })[0]!;
    assert.deepEqual(dw.shape, w);
    const lhs = dot(y.values, g);
    assert.ok(Math.abs(lhs - dot(wv, dw.values)) < 1e-4 * (1 + Math.abs(lhs)), `case ${i}`);
  });
});

test("conv2dGradInput and conv2dGradWeight by hand", () => {
  // x 1x1x2x2, w 1x1x1x2 (horizontal pair), output 1x1x2x1.
  const dx = run("conv2dGradInput", [t([1, 10], [1, 1, 2, 1]), t([2, 3], [1, 1, 1, 2])], { inputShape: [1, 1, 2, 2] });
  assert.deepEqual(dx, [2, 3, 20, 30]);
  const dw = run("conv2dGradWeight", [t([1, 2, 3, 4], [1, 1, 2, 2]), t([1, 10], [1, 1, 2, 1])], { weightShape: [1, 1, 1, 2] });
  assert.deepEqual(dw, [31, 42]);
});

test("conv2d on float16 rounds the output to half precision", () => {
  const r = runOp("conv2d", [t([1, 1], [1, 1, 1, 2], "float16"), t([2048, 1], [1, 1, 1, 2], "float16")])[0]!;
  assert.equal(r.dtype, "float16");
  assert.deepEqual([...r.values], [2048]);
});

test("conv2d refuses channel mismatches and integer inputs; grads check gradOut's shape", () => {
  assert.throws(() => run("conv2d", [t(Array(8).fill(0), [1, 2, 2, 2]), t([1], [1, 1, 1, 1])]), ShapeError);
  assert.throws(() => run("conv2d", [t([1], [1, 1, 1, 1], "int32"), t([1], [1, 1, 1, 1], "int32")]), DTypeError);
  assert.throws(() => run("conv2dGradInput", [t([1, 2], [1, 1, 1, 2]), t([1], [1, 1, 1, 1])], { inputShape: [1, 1, 2, 2] }), ShapeError);
});
