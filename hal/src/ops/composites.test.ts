import assert from "node:assert/strict";
import { test } from "node:test";
import type { Attrs } from "../device.ts";
import type { DType } from "../dtype.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { conv2dGeometry, getOp, window2d } from "./index.ts";

const t = (dtype: DType, ...shape: number[]) => ({ shape, dtype });
const infer = (op: string, inputs: { shape: number[]; dtype: DType }[], attrs: Attrs = {}) => getOp(op).infer(inputs, attrs);

test("window2d computes output sizes from strides, asymmetric pads and dilations", () => {
  const w = window2d("conv2d", 7, 9, 3, 2, { strides: [2, 3], pads: [1, 0, 2, 1], dilations: [2, 1] });
  // h: (7 + 1 + 2 - 2*(3-1) - 1) / 2 + 1 = 3; w: (9 + 0 + 1 - 1*(2-1) - 1) / 3 + 1 = 3
  assert.deepEqual([w.oh, w.ow], [3, 3]);
  assert.deepEqual([w.pt, w.pl, w.pb, w.pr, w.dh, w.dw, w.sh, w.sw], [1, 0, 2, 1, 2, 1, 2, 3]);
});

test("window2d ceilMode adds a partial window at the end", () => {
  assert.equal(window2d("maxPool2d", 5, 5, 2, 2, { strides: [2, 2] }).oh, 2);
  assert.equal(window2d("maxPool2d", 5, 5, 2, 2, { strides: [2, 2], ceilMode: true }).oh, 3);
});

test("window2d ceilMode never starts a window in the right padding", () => {
  // ceil((3 + 2 - 2) / 2) + 1 = 3, but window 3 would start at 4 - 1 = 3, past the input: dropped.
  assert.equal(window2d("maxPool2d", 3, 3, 2, 2, { strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true }).oh, 2);
});

test("window2d refuses a window that does not fit, naming the op and the geometry", () => {
  assert.throws(
    () => window2d("avgPool2d", 2, 2, 3, 3, {}),
    (e: unknown) => {
      assert.ok(e instanceof ShapeError);
      assert.match(e.message, /^avgPool2d: window 3x3 .* does not fit input 2x2$/);
      return true;
    },
  );
  assert.throws(() => window2d("avgPool2d", 4, 4, 2, 2, { strides: [0, 1] }), ShapeError);
});

test("conv2d infers [N, OC, OH, OW] with groups", () => {
  assert.deepEqual(infer("conv2d", [t("float32", 2, 6, 8, 8), t("float32", 4, 3, 3, 3), t("float32", 4)], { groups: 2, pads: [1, 1, 1, 1], strides: [2, 2] }), [
    t("float32", 2, 4, 4, 4),
  ]);
});

test("conv2d names both shapes and groups when channels do not match", () => {
  assert.throws(
    () => infer("conv2d", [t("float32", 1, 5, 8, 8), t("float32", 4, 3, 3, 3)], { groups: 2 }),
    (e: unknown) => {
      assert.ok(e instanceof ShapeError);
      assert.equal(e.message, "conv2d: input [1, 5, 8, 8] has 5 channels but weight [4, 3, 3, 3] with groups=2 expects 6");
      return true;
    },
  );
});

test("conv2d checks the bias length, the rank and the dtype", () => {
  assert.throws(() => infer("conv2d", [t("float32", 1, 3, 8, 8), t("float32", 4, 3, 3, 3), t("float32", 3)]), /bias must be \[4\]/);
  assert.throws(() => infer("conv2d", [t("float32", 3, 8, 8), t("float32", 4, 3, 3, 3)]), /input must be 4-D/);
  assert.throws(() => infer("conv2d", [t("int32", 1, 3, 8, 8), t("int32", 4, 3, 3, 3)]), DTypeError);
});

test("conv2d gradients take their shapes from inputShape / weightShape", () => {
  assert.deepEqual(infer("conv2dGradInput", [t("float32", 1, 4, 6, 6), t("float32", 4, 3, 3, 3)], { inputShape: [1, 3, 8, 8] }), [t("float32", 1, 3, 8, 8)]);
  assert.deepEqual(infer("conv2dGradWeight", [t("float16", 1, 3, 8, 8), t("float16", 1, 4, 6, 6)], { weightShape: [4, 3, 3, 3] }), [t("float16", 4, 3, 3, 3)]);
});

test("pooling infers the window grid from kernel, strides, pads and ceilMode", () => {
  assert.deepEqual(infer("maxPool2d", [t("float32", 2, 3, 5, 5)], { kernel: [2, 2], strides: [2, 2], ceilMode: true }), [t("float32", 2, 3, 3, 3)]);
  assert.deepEqual(infer("avgPool2d", [t("float32", 1, 1, 4, 6)], { kernel: [3, 3], pads: [1, 1, 1, 1] }), [t("float32", 1, 1, 4, 6)]);
  assert.throws(() => infer("maxPool2d", [t("float32", 1, 1, 4, 4)], {}), /missing attribute 'kernel'/);
});

test("pad adds begin and end pads per dim; negative pads crop", () => {
  assert.deepEqual(infer("pad", [t("int32", 2, 3)], { pads: [1, -1, 0, 2] }), [t("int32", 3, 4)]);
});

test("pad refuses a pads list of the wrong length and crops below zero", () => {
  assert.throws(() => infer("pad", [t("float32", 2, 3)], { pads: [1, 1] }), {
    name: "ShapeError",
    message: "pad: pads must have 4 entries for input [2, 3], got 2",
  });
  assert.throws(() => infer("pad", [t("float32", 2, 3)], { pads: [-2, 0, -1, 0] }), /crop input \[2, 3\] below zero/);
});

test("concat sums the axis and refuses mismatched inputs", () => {
  assert.deepEqual(infer("concat", [t("bool", 2, 1), t("bool", 2, 4)], { axis: -1 }), [t("bool", 2, 5)]);
  assert.throws(() => infer("concat", [t("float32", 2, 1), t("float32", 3, 1)], { axis: 1 }), /inputs must match except on axis 1/);
  assert.throws(() => infer("concat", [t("float32", 2), t("int32", 2)]), ShapeError);
});

test("softmax and norms keep the input shape and check the axis and parameter shapes", () => {
  assert.deepEqual(infer("softmax", [t("float32", 2, 5)], { axis: 0 }), [t("float32", 2, 5)]);
  assert.throws(() => infer("logSoftmax", [t("float32", 2, 5)], { axis: 2 }), ShapeError);
  assert.deepEqual(infer("batchNorm", [t("float32", 2, 3, 4, 4), t("float32", 3), t("float32", 3), t("float32", 3), t("float32", 3)]), [
    t("float32", 2, 3, 4, 4),
  ]);
  assert.throws(() => infer("batchNorm", [t("float32", 2, 3), t("float32", 4), t("float32", 3), t("float32", 3), t("float32", 3)]), /must be \[3\]/);
});

test("conv2dGeometry gives the sizes every device uses, and refuses what the shape rule refuses", () => {
  const g = conv2dGeometry("conv2d", [2, 6, 9, 8], [4, 3, 3, 3], { groups: 2, pads: [1, 1, 1, 1] });
  assert.deepEqual([g.N, g.C, g.H, g.W, g.OC, g.Cg, g.OCg, g.KH, g.KW, g.groups, g.win.oh, g.win.ow], [2, 6, 9, 8, 4, 3, 2, 3, 3, 2, 9, 8]);
  assert.throws(
    () => conv2dGeometry("conv2dGradWeight", [2, 6, 9, 8], [4, 3, 3, 3], { groups: 3 }),
    /conv2dGradWeight: input \[2, 6, 9, 8\] has 6 channels but weight \[4, 3, 3, 3\] with groups=3 expects 9/,
  );
  assert.throws(() => conv2dGeometry("conv2d", [2, 6, 9], [4, 3, 3, 3], {}), /conv2d: input must be 4-D/);
});
