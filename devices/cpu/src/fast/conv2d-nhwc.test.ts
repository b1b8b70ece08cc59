import assert from "node:assert/strict";
import { test } from "node:test";
import type { Attrs } from "@polychip/hal";
import { runOp, t } from "../testing.ts";

const seq = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 1.5);

/** x[N,C,H,W] as [N,H,W,C] and back. */
function permute(v: ArrayLike<number>, [a, b, c, d]: number[], perm: number[]): number[] {
  const shape = [a!, b!, c!, d!];
  const out: number[] = [];
  const strides = [b! * c! * d!, c! * d!, d!, 1];
  const [p0, p1, p2, p3] = perm.map((p) => shape[p]!);
  for (let i = 0; i < p0!; i++)
    for (let j = 0; j < p1!; j++)
      for (let k = 0; k < p2!; k++)
        for (let l = 0; l < p3!; l++) {
          const idx = [0, 0, 0, 0];
          [i, j, k, l].forEach((x, q) => (idx[perm[q]!] = x));
          out.push(v[idx.reduce((s, x, q) => s + x * strides[q]!, 0)]!);
        }
  return out;
}

function assertMatchesNchw(x: number[], w: number[], attrs: Attrs, bias?: number, exact = false) {
  const [n, c, h, width] = x as [number, number, number, number];
  const xs = seq(n * c * h * width, 1);
  const ws = seq(
    w.reduce((a, b) => a * b),
    2,
  );
  const bs = bias === undefined ? undefined : seq(bias, 3);
  const ins = (xIn: ArrayLike<number>, xShape: number[]) => [t(xIn, xShape), t(ws, w), ...(bs ? [t(bs, [bias!])] : [])];
  const [want] = runOp("conv2d", ins(xs, x), attrs);
  const [got] = runOp("conv2dNhwc", ins(permute(xs, x, [0, 2, 3, 1]), [n, h, width, c]), attrs);
  const [, oc, oh, ow] = want!.shape as number[];
  assert.deepEqual(got!.shape, [n, oh, ow, oc]);
  const back = permute(got!.values, [n, oh!, ow!, oc!], [0, 3, 1, 2]);
  if (exact) assert.deepEqual(back, Array.from(want!.values));
  else back.forEach((v, i) => assert.ok(Math.abs(v - want!.values[i]!) <= 1e-5 * (1 + Math.abs(want!.values[i]!)), `[${i}] ${v} vs ${want!.values[i]}`));
}

test("depthwise 3x3 with bias and padding matches conv2d", () => {
  assertMatchesNchw([2, 8, 7, 9], [8, 1, 3, 3], { pads: [1, 1, 1, 1], groups: 8 }, 8);
});

test("depthwise on the channels-last wasm kernel gives the NCHW direct kernel's floats exactly", () => {
  assertMatchesNchw([2, 20, 9, 7], [20, 1, 3, 3], { pads: [1, 1, 1, 1], groups: 20 }, 20, true);
  assertMatchesNchw([1, 24, 11, 12], [24, 1, 5, 5], { pads: [2, 2, 2, 2], strides: [2, 2], groups: 24 }, 24, true);
});

test("depthwise 5x5 with stride 2 and dilation matches conv2d", () => {
  assertMatchesNchw([1, 6, 11, 10], [6, 1, 5, 5], { pads: [2, 1, 2, 3], strides: [2, 2], dilations: [1, 2], groups: 6 });
});

test("grouped, channel-multiplier and dense convs match conv2d", () => {
  assertMatchesNchw([1, 6, 5, 5], [4, 3, 3, 3], { pads: [1, 1, 1, 1], groups: 2 }, 4);
  assertMatchesNchw([1, 3, 5, 5], [6, 1, 3, 3], { groups: 3 });
  assertMatchesNchw([2, 5, 4, 4], [7, 5, 1, 1], {}, 7);
});

test("conv2dNhwc names the op and both shapes when channels do not match", () => {
  assert.throws(() => runOp("conv2dNhwc", [t(seq(50, 1), [1, 5, 5, 2]), t(seq(27, 2), [3, 3, 3, 3])]), /conv2dNhwc: .*2 channels/);
});
