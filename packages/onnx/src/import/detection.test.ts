import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";

/** A detector's tail: boxes and scores computed from the inputs (so only a run knows them), then NMS. */
const nmsTail = buildModel({
  opset: 11,
  inputs: [
    { name: "raw_boxes", type: "float32", shape: [1, 6, 4] },
    { name: "logits", type: "float32", shape: [1, 2, 6] },
  ],
  outputs: [{ name: "selected", type: "int64" }],
  nodes: [
    { op: "Mul", inputs: ["raw_boxes", "scale"], outputs: ["boxes"] },
    { op: "Sigmoid", inputs: ["logits"], outputs: ["scores"] },
    { op: "NonMaxSuppression", inputs: ["boxes", "scores", "max_out", "iou", "score_min"], outputs: ["selected"], attrs: { center_point_box: 1 } },
  ],
  initializers: [
    initializer("scale", [10], []),
    initializer("max_out", [3], [1], "int64"),
    initializer("iou", [0.4], [1]),
    initializer("score_min", [0.3], [1]),
  ],
});

function detections(shift: number) {
  // Centre-format boxes (scaled by 10 in the model): three overlapping, then one that `shift` moves onto another.
  const raw = [0.5, 0.5, 1, 1, 0.55, 0.5, 1, 1, 0.5, 0.6, 1.1, 1, 3, 3, 1, 1, 3 + shift, 3, 1, 1, 6, 1, 0.5, 2];
  const logits = [2, 1.5, 1, 0.5, 0.2 + shift, -3, -1, 0.1, 3, -0.2, 1, 0.3];
  return {
    raw_boxes: { data: Float32Array.from(raw.map((v) => v / 10)), shape: [1, 6, 4] },
    logits: { data: Float32Array.from(logits), shape: [1, 2, 6] },
  };
}

test("NonMaxSuppression on boxes a run computes: the selection (and its size) follows each run's data", { skip }, async () => {
  const session = await OnnxSession.create(nmsTail, { device: "cpu" });
  const sizes = new Set<number>();
  for (const shift of [0, 0.1, 2]) {
    const feeds = detections(shift);
    const got = await session.run(feeds);
    sizes.add(got.selected!.shape[0]!);
    await expectLikeOnnxruntime(nmsTail, { raw_boxes: { ...feeds.raw_boxes, type: "float32" }, logits: { ...feeds.logits, type: "float32" } }, got, 0);
  }
  assert.ok(sizes.size > 1, "the runs should select different numbers of boxes");
  session.dispose();
});

test("NonMaxSuppression without thresholds or a limit selects nothing (max_output_boxes_per_class defaults to 0)", async () => {
  const model = buildModel({
    opset: 11,
    inputs: [
      { name: "boxes", type: "float32", shape: [1, 2, 4] },
      { name: "scores", type: "float32", shape: [1, 1, 2] },
    ],
    outputs: [{ name: "selected", type: "int64" }],
    nodes: [{ op: "NonMaxSuppression", inputs: ["boxes", "scores"], outputs: ["selected"] }],
  });
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run({
    boxes: { data: Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]), shape: [1, 2, 4] },
    scores: { data: Float32Array.from([0.9, 0.8]), shape: [1, 1, 2] },
  });
  assert.deepEqual(got.selected!.shape, [0, 3]);
});

/** A second stage's crop: rois computed from an input, adaptive sampling (sampling_ratio 0). */
function roiModel(mode: string, transform: string, ratio: number): Uint8Array {
  return buildModel({
    opset: 16,
    inputs: [
      { name: "x", type: "float32", shape: [2, 3, 12, 10] },
      { name: "proposals", type: "float32", shape: [4, 4] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Relu", inputs: ["proposals"], outputs: ["rois"] },
      {
        op: "RoiAlign",
        inputs: ["x", "rois", "batch"],
        outputs: ["y"],
        attrs: { mode, coordinate_transformation_mode: transform, output_height: 3, output_width: 2, sampling_ratio: ratio, spatial_scale: { float: 0.5 } },
      },
    ],
    initializers: [initializer("batch", [0, 1, 1, 0], [4], "int64")],
  });
}

const x = Float32Array.from({ length: 2 * 3 * 12 * 10 }, (_, i) => Math.cos(i * 0.21) * 2 + (i % 5) * 0.1);
const proposals = Float32Array.from([0, 0, 19, 23, 3.5, 2.2, 11, 9.7, 10, 4, 14, 22, -2, -1, 25, 30]);

for (const [mode, transform, ratio] of [
  ["avg", "half_pixel", 0],
  ["avg", "output_half_pixel", 0],
  ["max", "half_pixel", 2],
  ["avg", "half_pixel", 3],
] as const) {
  test(`RoiAlign ${mode}, ${transform}, sampling_ratio ${ratio} on rois a run computes matches onnxruntime`, { skip }, async () => {
    const model = roiModel(mode, transform, ratio);
    const got = await (await OnnxSession.create(model, { device: "cpu" })).run({
      x: { data: x, shape: [2, 3, 12, 10] },
      proposals: { data: proposals, shape: [4, 4] },
    });
    await expectLikeOnnxruntime(
      model,
      { x: { data: x, shape: [2, 3, 12, 10], type: "float32" }, proposals: { data: proposals, shape: [4, 4], type: "float32" } },
      got,
      1e-4,
    );
  });
}

test("RoiAlign refuses rois whose adaptive sampling would need too many taps, saying what to set", async () => {
  const model = buildModel({
    opset: 16,
    inputs: [{ name: "x", type: "float32", shape: [1, 1, 4, 4] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "RoiAlign", inputs: ["x", "rois", "batch"], outputs: ["y"], attrs: { spatial_scale: { float: 100 } } }],
    initializers: [initializer("rois", [0, 0, 40, 40], [1, 4]), initializer("batch", [0], [1], "int64")],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  await assert.rejects(
    session.run({ x: { data: new Float32Array(16), shape: [1, 1, 4, 4] } }),
    /RoiAlign.*1 rois of 1×1 bins need \d+ bilinear taps.*set sampling_ratio/,
  );
});
