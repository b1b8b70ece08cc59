import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";

const values = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.9) * 2 + i * 0.01);

async function expectLikeOrt(model: Uint8Array, name: string, shape: number[], data = values(shape.reduce((a, b) => a * b, 1))): Promise<void> {
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run({ [name]: { data, shape } });
  await expectLikeOnnxruntime(model, { [name]: { data, shape, type: "float32" } }, got, 1e-5);
}

test("Col2Im with strides, dilations and asymmetric pads together matches onnxruntime", { skip }, async () => {
  // Image 7×8, block 2×3, dilations 2×1, strides 1×2, pads [1, 0, 0, 2]: 6 × 4 blocks.
  const model = buildModel({
    opset: 18,
    inputs: [{ name: "x", type: "float32", shape: [2, 12, 24] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Col2Im", inputs: ["x", "image", "block"], outputs: ["y"], attrs: { dilations: [2, 1], strides: [1, 2], pads: [1, 0, 0, 2] } }],
    initializers: [initializer("image", [7, 8], [2], "int64"), initializer("block", [2, 3], [2], "int64")],
  });
  await expectLikeOrt(model, "x", [2, 12, 24]);
});

for (const align of [0, 1]) {
  test(`AffineGrid on a non-square size, align_corners ${align}, matches onnxruntime`, { skip }, async () => {
    const model = buildModel({
      opset: 20,
      inputs: [{ name: "theta", type: "float32", shape: [3, 2, 3] }],
      outputs: [{ name: "grid", type: "float32" }],
      nodes: [{ op: "AffineGrid", inputs: ["theta", "size"], outputs: ["grid"], attrs: { align_corners: align } }],
      initializers: [initializer("size", [3, 2, 5, 7], [4], "int64")],
    });
    await expectLikeOrt(model, "theta", [3, 2, 3]);
  });
}

test("MaxUnpool with strides and a larger output_shape addresses that shape, as onnxruntime does", { skip }, async () => {
  // Indices a 2×2 / stride-2 max pool of a 2×3×4×6 input could give (one position per window).
  const indices = Array.from({ length: 2 * 3 * 2 * 3 }, (_, i) => {
    const [plane, rest] = [Math.floor(i / 6), i % 6];
    const [r, c] = [Math.floor(rest / 3), rest % 3];
    return plane * 24 + (2 * r + (i % 2)) * 6 + 2 * c + ((i >> 1) % 2);
  });
  const model = buildModel({
    opset: 11,
    inputs: [{ name: "x", type: "float32", shape: [2, 3, 2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "MaxUnpool", inputs: ["x", "idx", "shape"], outputs: ["y"], attrs: { kernel_shape: [2, 2], strides: [2, 2] } }],
    initializers: [initializer("idx", indices, [2, 3, 2, 3], "int64"), initializer("shape", [2, 3, 5, 7], [4], "int64")],
  });
  await expectLikeOrt(model, "x", [2, 3, 2, 3]);
});

test("CenterCropPad crops one axis and pads another by odd amounts like onnxruntime", { skip }, async () => {
  const model = buildModel({
    opset: 18,
    inputs: [{ name: "x", type: "float32", shape: [3, 8, 5] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "CenterCropPad", inputs: ["x", "shape"], outputs: ["y"], attrs: { axes: [1, 2] } }],
    initializers: [initializer("shape", [5, 8], [2], "int64")],
  });
  await expectLikeOrt(model, "x", [3, 8, 5]);
});
