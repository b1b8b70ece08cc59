import { DataType } from "../proto/types.ts";
import { tensorToProto } from "../tensor.ts";
import { blockModel, testOnEveryDevice, weightValues } from "./isnet-blocks-test-support.ts";

/**
 * The suite's float16 ISNet (real-models/models.json) is too slow for npu-sim and a software
 * WebGPU adapter at 1024×1024, so its op pattern is checked here at 32×32 on every device: the
 * input cast to half, Conv with half weights and bias (stride 2), Relu, MaxPool with ceil_mode,
 * a bilinear half_pixel Resize to the size of another tensor (Shape → sizes) computed in float32
 * between two Casts as the float16 converter writes it, Concat, Sigmoid, and the result cast back.
 */

/** Deterministic weights rounded to half, as the converter stores them. */
function halfWeights(name: string, shape: number[], seed: number) {
  return tensorToProto(name, {
    dtype: "float16",
    shape,
    data: weightValues(
      shape.reduce((x, y) => x * y, 1),
      seed,
      0.6,
    ),
  });
}

const conv = (x: string, w: string, b: string, y: string, strides = [1, 1]) => ({
  op: "Conv",
  inputs: [x, w, b],
  outputs: [y],
  attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides },
});

const MODEL = blockModel(
  [
    { op: "Cast", inputs: ["x"], outputs: ["xh"], attrs: { to: DataType.FLOAT16 } },
    conv("xh", "w1", "b1", "c1", [2, 2]),
    { op: "Relu", inputs: ["c1"], outputs: ["r1"] },
    conv("r1", "w2", "b2", "c2"),
    { op: "Relu", inputs: ["c2"], outputs: ["r2"] },
    { op: "MaxPool", inputs: ["r2"], outputs: ["p"], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } },
    conv("p", "w3", "b3", "c3"),
    { op: "Relu", inputs: ["c3"], outputs: ["r3"] },
    { op: "Shape", inputs: ["r2"], outputs: ["shape"] },
    { op: "Slice", inputs: ["shape", "sizes_at", "sizes_to"], outputs: ["sizes"] },
    { op: "Cast", inputs: ["r3"], outputs: ["r3f"], attrs: { to: DataType.FLOAT } },
    { op: "Resize", inputs: ["r3f", "", "", "sizes"], outputs: ["upf"], attrs: { mode: "linear", coordinate_transformation_mode: "half_pixel" } },
    { op: "Cast", inputs: ["upf"], outputs: ["up"], attrs: { to: DataType.FLOAT16 } },
    { op: "Concat", inputs: ["up", "r2"], outputs: ["cat"], attrs: { axis: 1 } },
    conv("cat", "w4", "b4", "c4"),
    { op: "Sigmoid", inputs: ["c4"], outputs: ["sig"] },
    { op: "Cast", inputs: ["sig"], outputs: ["mask"], attrs: { to: DataType.FLOAT } },
    { op: "Cast", inputs: ["c4"], outputs: ["logits"], attrs: { to: DataType.FLOAT } },
  ],
  [
    halfWeights("w1", [8, 3, 3, 3], 1),
    halfWeights("b1", [8], 2),
    halfWeights("w2", [8, 8, 3, 3], 3),
    halfWeights("b2", [8], 4),
    halfWeights("w3", [8, 8, 3, 3], 5),
    halfWeights("b3", [8], 6),
    halfWeights("w4", [1, 16, 3, 3], 7),
    halfWeights("b4", [1], 8),
  ],
);

/**
 * Largest |a − b| in float16 ulps of b, with values under 1 counted in ulps of 1 (2^-10): a
 * logit near 0 is a sum of terms near 1, so its error is that of its terms, not of its own size.
 */
function ulps(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const spacing = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(b[i]!), 1))) - 10);
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / spacing);
  }
  return worst;
}

// onnxruntime's CPU half Conv does not round each output once from a float32 sum, so it may be a few ulps away (measured 1.9).
await testOnEveryDevice({ label: "ISNet's float16 op pattern", model: MODEL, distance: ulps, unit: "half ulps", vsOnnxruntime: 4, vsCpu: 1 });
