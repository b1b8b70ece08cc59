import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { DataType } from "../proto/types.ts";
import { OnnxSession } from "../session.ts";
import { tensorToProto } from "../tensor.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { ort } from "../testing/onnxruntime.ts";

/**
 * The suite's float16 ISNet (real-models/models.json) is too slow for npu-sim and a software
 * WebGPU adapter at 1024×1024, so its op pattern is checked here at 32×32 on every device: the
 * input cast to half, Conv with half weights and bias (stride 2), Relu, MaxPool with ceil_mode,
 * a bilinear half_pixel Resize to the size of another tensor (Shape → sizes) computed in float32
 * between two Casts as the float16 converter writes it, Concat, Sigmoid, and the result cast back.
 */
const webgpu = await useDevice("webgpu").then(
  () => false,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

/** Deterministic weights in ±0.6 rounded to half, as the converter stores them. */
function halfWeights(name: string, shape: number[], seed: number) {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensorToProto(name, {
    dtype: "float16",
    shape,
    data: Float32Array.from({ length: n }, (_, i) => 0.6 * Math.sin(i * 1.37 + seed) * Math.cos(i * 0.29)),
  });
}

const conv = (x: string, w: string, b: string, y: string, strides = [1, 1]) => ({
  op: "Conv",
  inputs: [x, w, b],
  outputs: [y],
  attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides },
});

const MODEL = buildModel({
  opset: 15,
  inputs: [{ name: "x", type: "float32", shape: [1, 3, 32, 32] }],
  outputs: [
    { name: "mask", type: "float32" },
    { name: "logits", type: "float32" },
  ],
  initializers: [
    halfWeights("w1", [8, 3, 3, 3], 1),
    halfWeights("b1", [8], 2),
    halfWeights("w2", [8, 8, 3, 3], 3),
    halfWeights("b2", [8], 4),
    halfWeights("w3", [8, 8, 3, 3], 5),
    halfWeights("b3", [8], 6),
    halfWeights("w4", [1, 16, 3, 3], 7),
    halfWeights("b4", [1], 8),
    initializer("sizes_at", [0], [1], "int64"),
    initializer("sizes_to", [4], [1], "int64"),
  ],
  nodes: [
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
});

/** A bright blob on a darker, textured background, in ISNet's input range (±0.5). */
const IMAGE = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => {
  const [c, y, x] = [Math.floor(i / 1024), Math.floor(i / 32) % 32, i % 32];
  const inside = (x - 16) ** 2 + (y - 17) ** 2 < 80;
  return inside ? 0.35 - 0.05 * c : -0.2 + 0.15 * Math.sin(x * 0.7 + c) * Math.cos(y * 0.4);
});

async function run(device: string): Promise<Record<string, Float32Array>> {
  const session = await OnnxSession.create(MODEL, { device });
  try {
    const out = await session.run({ x: { data: IMAGE, shape: [1, 3, 32, 32], dtype: "float32" } });
    return { mask: Float32Array.from(out.mask!.data), logits: Float32Array.from(out.logits!.data) };
  } finally {
    session.dispose();
  }
}

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

test("ISNet's float16 op pattern on the cpu is within a few half ulps of onnxruntime-node", { skip: !ort && "onnxruntime-node is not installed" }, async () => {
  const got = await run("cpu");
  const reference = await ort!.InferenceSession.create(MODEL);
  const want = await reference.run({ x: new ort!.Tensor("float32", IMAGE, [1, 3, 32, 32]) });
  await reference.release();
  for (const name of ["mask", "logits"]) {
    const w = want[name]!.data as Float32Array;
    assert.ok(Math.max(...w) - Math.min(...w) > 0.1, `${name} must vary over the image`);
    // onnxruntime's CPU half Conv does not round each output once from a float32 sum, so it may be a few ulps away.
    assert.ok(ulps(got[name]!, w) <= 4, `${name}: ${ulps(got[name]!, w)} half ulps from onnxruntime-node`);
  }
});

for (const device of ["npu-sim", "webgpu"]) {
  test(`ISNet's float16 op pattern on ${device} equals the cpu within one half ulp`, { skip: device === "webgpu" && webgpu }, async () => {
    const [cpu, other] = [await run("cpu"), await run(device)];
    for (const name of ["mask", "logits"]) assert.ok(ulps(other[name]!, cpu[name]!) <= 1, `${name}: ${ulps(other[name]!, cpu[name]!)} half ulps from the cpu`);
  });
}
