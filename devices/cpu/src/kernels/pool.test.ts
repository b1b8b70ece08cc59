import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { assertClose, dot, randomValues } from "../test-utils.ts";
import { run, runOp, t } from "../testing.ts";

const x44 = t(
  [...Array(16).keys()].map((i) => i + 1),
  [1, 1, 4, 4],
);

test("maxPool2d 2x2 stride 2", () => {
  const r = runOp("maxPool2d", [x44], { kernel: [2, 2], strides: [2, 2] })[0]!;
  assert.deepEqual(r.shape, [1, 1, 2, 2]);
  assert.deepEqual([...r.values], [6, 8, 14, 16]);
});

test("maxPool2d: padding never wins, even over negative values", () => {
  const neg = t([-1, -2, -3, -4], [1, 1, 2, 2]);
  assert.deepEqual(run("maxPool2d", [neg], { kernel: [2, 2], pads: [1, 1, 1, 1], strides: [2, 2] }), [-1, -2, -3, -4]);
});

test("maxPool2d with ceilMode adds a partial last window", () => {
  const r = runOp("maxPool2d", [x44], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true })[0]!;
  assert.deepEqual(r.shape, [1, 1, 3, 3]);
  assert.deepEqual([...r.values], [6, 8, 8, 14, 16, 16, 14, 16, 16]);
});

test("maxPool2d with dilation and NaN propagation", () => {
  assert.deepEqual(run("maxPool2d", [x44], { kernel: [2, 2], dilations: [2, 2] }), [11, 12, 15, 16]);
  assert.deepEqual(run("maxPool2d", [t([1, NaN, 3, 2], [1, 1, 2, 2])], { kernel: [2, 2] }), [NaN]);
});

test("maxPool2dGrad sends each window's gradient to its first max and accumulates overlaps", () => {
  // Windows of 2 with stride 1 over [1, 9, 2]: both pick the 9, whose gradients add.
  assert.deepEqual(run("maxPool2dGrad", [t([1, 9, 2], [1, 1, 1, 3]), t([1, 10], [1, 1, 1, 2])], { kernel: [1, 2] }), [0, 11, 0]);
  // Over [5, 5, 1] the first window's tie goes to its first 5; the second window's max is the second 5.
  assert.deepEqual(run("maxPool2dGrad", [t([5, 5, 1], [1, 1, 1, 3]), t([1, 10], [1, 1, 1, 2])], { kernel: [1, 2] }), [1, 10, 0]);
  // In 2-D, ties resolve in row-major order within the window.
  assert.deepEqual(run("maxPool2dGrad", [t([3, 7, 7, 1], [1, 1, 2, 2]), t([5], [1, 1, 1, 1])], { kernel: [2, 2] }), [0, 5, 0, 0]);
  const grid = run("maxPool2dGrad", [x44, t([1, 2, 3, 4], [1, 1, 2, 2])], { kernel: [2, 2], strides: [2, 2] });
  assert.deepEqual(grid, [0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4]);
});

test("maxPool2dGrad of a strided view matches the contiguous input", () => {
  const xs = randomValues(2 * 3 * 5 * 5, 3);
  const g = randomValues(2 * 3 * 2 * 2, 4);
  const attrs = { kernel: [3, 3], strides: [2, 2] };
  const dense = run("maxPool2dGrad", [t(xs, [2, 3, 5, 5]), t(g, [2, 3, 2, 2])], attrs);
  // The same tensor stored as [3, 2, 5, 5] (channel-major) and viewed back as NCHW.
  const cm = Array.from({ length: xs.length }, (_, i) => {
    const c = Math.floor(i / 50);
    const n = Math.floor(i / 25) % 2;
    return xs[(n * 3 + c) * 25 + (i % 25)]!;
  });
  assert.deepEqual(run("maxPool2dGrad", [t(cm, [2, 3, 5, 5], "float32", { strides: [25, 50, 5, 1] }), t(g, [2, 3, 2, 2])], attrs), dense);
});

test("avgPool2d without padding averages each window", () => {
  assert.deepEqual(run("avgPool2d", [x44], { kernel: [2, 2], strides: [2, 2] }), [3.5, 5.5, 11.5, 13.5]);
});

test("avgPool2d countIncludePad=false divides by the taps inside the input", () => {
  const v = run("avgPool2d", [x44], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true, countIncludePad: false });
  assertClose([v[0]!, v[1]!, v[2]!, v[8]!], [14 / 4, 30 / 6, 12 / 2, 16]);
});

test("avgPool2d countIncludePad=true divides by the window clipped to the padded input (PyTorch/ONNX)", () => {
  const v = run("avgPool2d", [x44], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true, countIncludePad: true });
  // Full windows count 9; the ceilMode windows starting at 3 reach past the end padding (index 5) and count 2 per axis.
  assertClose([v[0]!, v[1]!, v[2]!, v[8]!], [14 / 9, 30 / 9, 12 / 6, 16 / 4]);
});

test("avgPool2dGrad is the adjoint of avgPool2d for both divisor rules", () => {
  for (const countIncludePad of [false, true]) {
    const attrs = { kernel: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], ceilMode: true, countIncludePad };
    const xs = randomValues(2 * 2 * 5 * 4, 7);
    const y = runOp("avgPool2d", [t(xs, [2, 2, 5, 4])], attrs)[0]!;
    const g = randomValues(y.values.length, 8);
    const dx = runOp("avgPool2dGrad", [t(g, y.shape)], { ...attrs, inputShape: [2, 2, 5, 4] })[0]!;
    assert.deepEqual(dx.shape, [2, 2, 5, 4]);
    assert.ok(Math.abs(dot(y.values, g) - dot(xs, dx.values)) < 1e-5);
  }
});

test("pooling refuses non-4-D inputs and windows that do not fit", () => {
  assert.throws(() => run("maxPool2d", [t([1, 2], [1, 2])], { kernel: [1, 1] }), ShapeError);
  assert.throws(() => run("avgPool2d", [x44], { kernel: [5, 5] }), ShapeError);
});
