import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx } from "./importer.ts";
import { runOnnx } from "../testing/run-model.ts";
import { buildModel } from "../testing/model-builder.ts";
import { bytes } from "../testing/integer-matmul-cases.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

/** ConvInteger sums exactly in int32: channels split so that no float32 conv sums past 2^24. */

const skip = ort ? false : "onnxruntime-node is not installed";

/** ConvInteger over x [1, C, 4, 4] (a model input) with a 3x3 weight [2, C, 3, 3], no padding. */
function convIntegerModel(channels: number, w: number[], zeroPoints: { x: number; w: number }): Uint8Array {
  return buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "uint8", shape: [1, channels, 4, 4] }],
    outputs: [{ name: "y", type: "int32" }],
    nodes: [{ op: "ConvInteger", inputs: ["x", "w", "xzp", "wzp"], outputs: ["y"], attrs: { kernel_shape: [3, 3] } }],
    initializers: [bytes("w", w, [2, channels, 3, 3]), bytes("xzp", [zeroPoints.x], []), bytes("wzp", [zeroPoints.w], [])],
  });
}

test("ConvInteger over 64 channels of a 3x3 kernel (576 terms) is exact where float32 sums pass 2^24", async () => {
  // x − x_zp = −255 everywhere, so each output is −255 · Σ of its filter's (uint8) weights: odd
  // and past 2^24, a value float32 cannot hold, so no float32 conv can return it.
  const w = Array.from({ length: 2 * 64 * 9 }, (_, i) => 255 - ((i * 7) % 13));
  for (const oc of [0, 1]) if (w.slice(oc * 576, (oc + 1) * 576).reduce((a, b) => a + b, 0) % 2 === 0) w[oc * 576]! -= 1;
  const model = convIntegerModel(64, w, { x: 255, w: 0 });
  const { y } = await runOnnx(model, { x: { data: new Array(64 * 16).fill(0), shape: [1, 64, 4, 4], dtype: "uint8" } });
  assert.deepEqual(y!.shape, [1, 2, 2, 2]);
  const filterSum = (oc: number) => w.slice(oc * 576, (oc + 1) * 576).reduce((a, b) => a + b, 0);
  assert.ok([0, 1].every((oc) => (255 * filterSum(oc)) % 2 === 1 && 255 * filterSum(oc) > 2 ** 24));
  assert.deepEqual(
    Array.from(y!.data),
    [0, 0, 0, 0, 1, 1, 1, 1].map((oc) => -255 * filterSum(oc)),
  );
});

test("ConvInteger splits 64 channels of a 3x3 kernel into float32 convs of at most 258 terms each", () => {
  const graph = importOnnx(convIntegerModel(64, new Array(2 * 64 * 9).fill(1), { x: 0, w: 0 }));
  // 258 / 9 = 28 channels per conv: 28 + 28 + 8.
  assert.equal(graph.nodes.filter((n) => n.op === "conv2d").length, 3);
});

test("ConvInteger over 64 channels matches onnxruntime exactly on mixed values", { skip }, async () => {
  const w = Array.from({ length: 2 * 64 * 9 }, (_, i) => (i * 89 + 7) % 256);
  const x = Uint8Array.from({ length: 64 * 16 }, (_, i) => (i * 53 + 11) % 256);
  const model = convIntegerModel(64, w, { x: 131, w: 97 });
  const got = await runOnnx(model, { x: { data: x, shape: [1, 64, 4, 4], dtype: "uint8" } });
  await expectLikeOnnxruntime(model, { x: { data: x, shape: [1, 64, 4, 4], type: "uint8" } }, got, 0);
});
