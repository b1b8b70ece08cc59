/**
 * The direct convolution paths against the reference kernel on random geometries: asymmetric
 * padding, dilation, strides 1-3, odd sizes, channel multipliers, batches, offset operands, with
 * and without bias; and the same bits on 1 and 2 threads. Covers the depthwise kernel (one input
 * channel per group) and stride-1 input gradients run as forward convolutions. A spy on the
 * runtime proves each case really ran the path it is about.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { sizeOf, window2d, type Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { runOp, type HostInput } from "../testing.ts";
import { assertNear, draws, launched, operand } from "./testing/conv2d.ts";

const fast = new CpuDevice({ threads: 2 });
const single = new CpuDevice({ threads: 1 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([fast.dispose(), single.dispose()]));

/** `op` on the fast device equals the reference within a tolerance for `terms`-long sums, launched `kernel`, and gives the same bits on 1 thread. */
function checkOp(op: string, inputs: HostInput[], attrs: Attrs, terms: number, kernel: string, what: string): void {
  const got = launched(fast, op, inputs, attrs);
  assert.deepEqual(got.kernels, [kernel], `${what} ran ${got.kernels.join(", ")}`);
  const want = runOp(op, inputs, attrs, { device: reference })[0]!.values;
  assertNear(got.values, want, terms, what);
  const one = runOp(op, inputs, attrs, { device: single })[0]!.values;
  for (let i = 0; i < one.length; i++) if (!Object.is(one[i], got.values[i])) assert.fail(`${what}: 1 and 2 threads differ at ${i}`);
}

function checkCase(x: number[], w: number[], attrs: Attrs, withBias: boolean, seed: number, kernel: string): void {
  const inputs = [operand(x, seed, seed % 3 === 0 ? 7 : 0), operand(w, seed + 1, seed % 2 === 0 ? 3 : 0)];
  if (withBias) inputs.push(operand([w[0]!], seed + 2, 0));
  checkOp("conv2d", inputs, attrs, w[1]! * w[2]! * w[3]!, kernel, JSON.stringify({ x, w, attrs, withBias }));
}

test("depthwise conv2d (one input channel per group) matches the reference on random geometries", () => {
  const int = draws(41);
  let done = 0;
  while (done < 120) {
    const C = int(1, 9);
    const mult = int(1, 3);
    const [KH, KW] = [int(1, 7), int(1, 7)];
    const attrs = {
      strides: [int(1, 3), int(1, 3)],
      pads: [int(0, 3), int(0, 3), int(0, 3), int(0, 3)],
      dilations: [int(1, 3), int(1, 3)],
      groups: C,
    };
    const x = [int(1, 3), C, int(1, 23), int(1, 41)];
    try {
      window2d("conv2d", x[2]!, x[3]!, KH, KW, attrs);
    } catch {
      continue; // the window does not fit: draw again
    }
    checkCase(x, [C * mult, 1, KH, KW], attrs, done % 2 === 0, done, "conv2dDepthwise");
    done++;
  }
});

test("depthwise planes after a chunk's first keep a zero border (zeroed once per chunk): wide pads, many planes, batches", () => {
  // Pads wider than the kernel leave outputs that read only the border, so a stale value there would show.
  const int = draws(43);
  for (let k = 0; k < 12; k++) {
    const C = int(2, 24);
    const K = int(1, 5);
    const attrs = { strides: [int(1, 2), int(1, 2)], pads: [int(K, K + 3), int(0, K + 3), int(K, K + 3), int(0, 3)], groups: C };
    checkCase([int(1, 3), C, int(1, 9), int(1, 30)], [C * int(1, 2), 1, K, K], attrs, k % 2 === 0, 500 + k, "conv2dDepthwise");
  }
});

test("depthwise conv2d on MobileNet shapes: 3x3 / 5x5, stride 1 and 2, same padding, big enough to split across threads", () => {
  const shapes: [number[], number, number][] = [
    [[1, 240, 12, 40], 5, 1],
    [[1, 128, 12, 80], 3, 2],
    [[2, 32, 48, 64], 3, 2],
    [[1, 200, 2, 96], 5, 1],
    [[1, 384, 3, 4], 5, 1],
  ];
  shapes.forEach(([x, k, s], i) => {
    const p = (k - 1) / 2;
    checkCase(x, [x[1]!, 1, k, k], { strides: [s, s], pads: [p, p, p, p], groups: x[1]! }, i % 2 === 0, 100 + i, "conv2dDepthwise");
  });
});

test("a single-channel image with a few output channels (groups = 1, Cg = 1) takes the direct kernel, with many the GEMM", () => {
  checkCase([4, 1, 28, 28], [4, 1, 3, 3], { pads: [1, 1, 1, 1] }, true, 7, "conv2dDepthwise");
  checkCase([4, 1, 28, 28], [32, 1, 3, 3], { pads: [1, 1, 1, 1] }, true, 8, "conv2dForward");
});

test("stride-1 input gradients run as forward convolutions of gradOut (GEMM or depthwise) and match the reference", () => {
  const int = draws(77);
  let done = 0;
  while (done < 60) {
    const groups = int(1, 3);
    const OCg = int(1, 4);
    const Cg = OCg + int(0, 3); // OCg <= Cg: the case the transformation takes
    const [KH, KW] = [int(2, 5), int(1, 5)];
    const [dh, dw] = [int(1, 2), int(1, 2)];
    // Padding up to the window's span, so the transformed padding d·(K-1) - p stays >= 0.
    const attrs = { pads: [int(0, dh * (KH - 1)), int(0, dw * (KW - 1)), int(0, 3), int(0, 3)], dilations: [dh, dw], groups };
    const x = [int(1, 3), Cg * groups, int(1, 19), int(1, 23)];
    const w = [OCg * groups, Cg, KH, KW];
    let win;
    try {
      win = window2d("conv2d", x[2]!, x[3]!, KH, KW, attrs);
    } catch {
      continue;
    }
    const out = [x[0]!, w[0]!, win.oh, win.ow];
    const kernel = OCg === 1 && Cg <= 7 ? "conv2dDepthwise" : "conv2dForward";
    const inputs = [operand(out, done, done % 3 === 0 ? 5 : 0), operand(w, done + 1, 0)];
    checkOp("conv2dGradInput", inputs, { ...attrs, inputShape: x }, OCg * KH * KW, kernel, JSON.stringify({ x, w, attrs }));
    done++;
  }
});

test("input gradients with more output than input channels per group, or strided, stay on col2im", () => {
  const attrs = { pads: [1, 1, 1, 1] };
  const w = operand([8, 2, 3, 3], 3, 0);
  checkOp("conv2dGradInput", [operand([2, 8, 5, 6], 1, 0), w], { ...attrs, inputShape: [2, 2, 5, 6] }, 72, "conv2dGradInput", "OCg > Cg");
  checkOp("conv2dGradInput", [operand([2, 8, 3, 3], 2, 0), w], { ...attrs, strides: [2, 2], inputShape: [2, 2, 5, 6] }, 72, "conv2dGradInput", "stride 2");
});

test("a strided input gradient taller than one dcols block (1024 output positions) scatters block by block and matches the reference", () => {
  // 7 output columns: blocks of 146 output rows, so 150 rows take a full block and a 4-row one.
  const attrs = { pads: [1, 0, 1, 1], strides: [2, 2], inputShape: [2, 3, 300, 14] };
  checkOp("conv2dGradInput", [operand([2, 5, 150, 7], 4, 0), operand([5, 3, 3, 3], 5, 0)], attrs, 45, "conv2dGradInput", "two dcols blocks");
});

test("1x1 convolutions of 1x1 images (squeeze-and-excitation) run as dot products (batch <= 4) and match the reference", () => {
  const int = draws(5);
  for (let t = 0; t < 30; t++) {
    const [N, C, OC] = [int(1, 4), int(1, 300), int(1, 70)];
    checkCase([N, C, 1, 1], [OC, C, 1, 1], {}, t % 2 === 0, 200 + t, "matmulDot");
  }
  checkCase([5, 16, 1, 1], [8, 16, 1, 1], {}, true, 9, "gemmNarrow");
});

test("1x1 convolutions over small feature maps (up to 64 positions) run on the unpacked narrow GEMM and match the reference", () => {
  const int = draws(13);
  let done = 0;
  while (done < 40) {
    const [H, W] = [int(1, 9), int(1, 12)];
    if (H * W > 64 || H * W === 1) continue;
    const groups = int(1, 3);
    const [Cg, OCg] = [int(2, 50), int(1, 40)]; // one input channel per group is the depthwise kernel's
    checkCase([int(1, 3), Cg * groups, H, W], [OCg * groups, Cg, 1, 1], { groups }, done % 2 === 0, 300 + done, "gemmNarrow");
    done++;
  }
  checkCase([1, 8, 5, 13], [8, 8, 1, 1], {}, true, 9, "conv2dForward");
});

test("depthwise weight gradients run on the direct kernel and match the reference on random geometries", () => {
  const int = draws(59);
  let done = 0;
  while (done < 60) {
    const C = int(1, 6);
    const mult = int(1, 3);
    const [KH, KW] = [int(1, 5), int(1, 5)];
    const attrs = { strides: [int(1, 3), int(1, 3)], pads: [int(0, 2), int(0, 2), int(0, 2), int(0, 2)], dilations: [int(1, 2), int(1, 2)], groups: C };
    const x = [int(1, 3), C, int(1, 17), int(1, 23)];
    let win;
    try {
      win = window2d("conv2d", x[2]!, x[3]!, KH, KW, attrs);
    } catch {
      continue;
    }
    const w = [C * mult, 1, KH, KW];
    const out = [x[0]!, w[0]!, win.oh, win.ow];
    const inputs = [operand(x, done, done % 3 === 0 ? 7 : 0), operand(out, done + 1, 0)];
    checkOp("conv2dGradWeight", inputs, { ...attrs, weightShape: w }, x[0]! * win.oh * win.ow, "conv2dDepthwiseGradWeight", JSON.stringify({ x, w, attrs }));
    done++;
  }
  const big = { pads: [2, 2, 2, 2], groups: 240 };
  checkOp(
    "conv2dGradWeight",
    [operand([2, 240, 12, 40], 1, 0), operand([2, 240, 12, 40], 2, 0)],
    { ...big, weightShape: [240, 1, 5, 5] },
    960,
    "conv2dDepthwiseGradWeight",
    "MobileNet 5x5, split across threads",
  );
});
