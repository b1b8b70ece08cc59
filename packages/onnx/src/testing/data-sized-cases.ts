import { buildModel, initializer } from "./model-builder.ts";

/**
 * Models whose result sizes depend on the data, with inputs that select different counts, shared
 * by src/data-sized.test.ts and scripts/generate-data-sized-fixtures.ts (which records
 * onnxruntime-node's outputs for them).
 */
export interface DataSizedCase {
  readonly name: string;
  readonly model: Uint8Array;
  /** Float32 inputs by name, with their shapes. */
  readonly inputs: Readonly<Record<string, { readonly data: Float32Array; readonly shape: readonly number[] }>>;
}

/** A deterministic generator (a 32-bit LCG), so the test and the fixture script build the same inputs. */
function uniforms(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  });
}

export const YOLO_BOXES = 8400;
export const YOLO_CLASSES = 80;

/**
 * A YOLO-style detector's post-processing: boxes [1, 8400, 4] (centre format, scaled to pixels)
 * and class scores [1, 80, 8400] (sigmoids of logits) go through NonMaxSuppression, then the
 * selected boxes are gathered. Outputs the selection, the boxes and their scores.
 */
export const yoloPostprocess = buildModel({
  opset: 13,
  inputs: [
    { name: "raw_boxes", type: "float32", shape: [1, YOLO_BOXES, 4] },
    { name: "logits", type: "float32", shape: [1, YOLO_CLASSES, YOLO_BOXES] },
  ],
  outputs: [
    { name: "selected", type: "int64" },
    { name: "det_boxes", type: "float32" },
    { name: "det_scores", type: "float32" },
  ],
  nodes: [
    { op: "Mul", inputs: ["raw_boxes", "pixels"], outputs: ["boxes"] },
    { op: "Sigmoid", inputs: ["logits"], outputs: ["scores"] },
    { op: "NonMaxSuppression", inputs: ["boxes", "scores", "max_out", "iou", "score_min"], outputs: ["selected"], attrs: { center_point_box: 1 } },
    { op: "Gather", inputs: ["selected", "col_box"], outputs: ["box_index"], attrs: { axis: 1 } },
    { op: "Squeeze", inputs: ["boxes", "axis0"], outputs: ["box_rows"] },
    { op: "Gather", inputs: ["box_rows", "box_index"], outputs: ["det_boxes"], attrs: { axis: 0 } },
    // Each detection's score: scores[0, class, box] as a flat index class · 8400 + box.
    { op: "Gather", inputs: ["selected", "col_class"], outputs: ["class_index"], attrs: { axis: 1 } },
    { op: "Mul", inputs: ["class_index", "boxes_per_class"], outputs: ["class_offset"] },
    { op: "Add", inputs: ["class_offset", "box_index"], outputs: ["flat_index"] },
    { op: "Reshape", inputs: ["scores", "flat"], outputs: ["flat_scores"] },
    { op: "Gather", inputs: ["flat_scores", "flat_index"], outputs: ["det_scores"], attrs: { axis: 0 } },
  ],
  initializers: [
    initializer("pixels", [640], []),
    initializer("max_out", [20], [1], "int64"),
    initializer("iou", [0.5], [1]),
    initializer("score_min", [0.25], [1]),
    initializer("col_box", [2], [], "int64"),
    initializer("col_class", [1], [], "int64"),
    initializer("axis0", [0], [1], "int64"),
    initializer("boxes_per_class", [YOLO_BOXES], [], "int64"),
    initializer("flat", [-1], [1], "int64"),
  ],
});

/**
 * A frame with `objects` objects: each a cluster of overlapping candidate boxes with one class's
 * logits above the threshold (NMS keeps one or a few per cluster); every other logit is low.
 */
export function yoloFrame(objects: number, seed: number): DataSizedCase["inputs"] {
  const u = uniforms(YOLO_BOXES * 4 + YOLO_CLASSES * YOLO_BOXES + objects * 64, seed);
  const boxes = Float32Array.from({ length: YOLO_BOXES * 4 }, (_, i) => 0.05 + u[i]! * (i % 4 < 2 ? 0.9 : 0.1));
  const logits = Float32Array.from({ length: YOLO_CLASSES * YOLO_BOXES }, (_, i) => -8 + u[YOLO_BOXES * 4 + i]! * 6.5);
  const r = u.subarray(YOLO_BOXES * 4 + YOLO_CLASSES * YOLO_BOXES);
  for (let o = 0; o < objects; o++) {
    const [cx, cy, w, h] = [0.1 + r[o * 64]! * 0.8, 0.1 + r[o * 64 + 1]! * 0.8, 0.05 + r[o * 64 + 2]! * 0.2, 0.05 + r[o * 64 + 3]! * 0.2];
    const cls = Math.floor(r[o * 64 + 4]! * YOLO_CLASSES);
    // 12 candidates around the object, each a little shifted, every 701st box from a start.
    for (let k = 0; k < 12; k++) {
      const box = (Math.floor(r[o * 64 + 5]! * YOLO_BOXES) + k * 701) % YOLO_BOXES;
      const jitter = (j: number) => (r[o * 64 + 6 + k * 4 + j]! - 0.5) * 0.04;
      boxes.set([cx + jitter(0), cy + jitter(1), w * (1 + jitter(2)), h * (1 + jitter(3))], box * 4);
      logits[cls * YOLO_BOXES + box] = 0.5 + r[o * 64 + 54 + (k % 10)]! * 3;
    }
  }
  return { raw_boxes: { data: boxes, shape: [1, YOLO_BOXES, 4] }, logits: { data: logits, shape: [1, YOLO_CLASSES, YOLO_BOXES] } };
}

export const NONZERO_ROWS = 2;
export const NONZERO_COLS = 4100;

/** NonZero on a [2, 4100] input's mask (8,200 values), then GatherND of the picked values, doubled. */
export const nonZeroGather = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: [NONZERO_ROWS, NONZERO_COLS] }],
  outputs: [
    { name: "where", type: "int64" },
    { name: "picked", type: "float32" },
  ],
  nodes: [
    { op: "Greater", inputs: ["x", "cut"], outputs: ["mask"] },
    { op: "NonZero", inputs: ["mask"], outputs: ["where"] },
    { op: "Transpose", inputs: ["where"], outputs: ["tuples"], attrs: { perm: [1, 0] } },
    { op: "GatherND", inputs: ["x", "tuples"], outputs: ["values"] },
    { op: "Add", inputs: ["values", "values"], outputs: ["picked"] },
  ],
  initializers: [initializer("cut", [0.9], [])],
});

/**
 * The count feeds later shapes: NonZero's indices [k] pick values that are reshaped to [1, k] by a
 * target built from Shape(indices), and a Range up to the count is added to them.
 */
export const countShapes = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: [64] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Greater", inputs: ["x", "cut"], outputs: ["mask"] },
    { op: "NonZero", inputs: ["mask"], outputs: ["nz"] },
    { op: "Squeeze", inputs: ["nz", "axis0"], outputs: ["idx"] },
    { op: "Gather", inputs: ["x", "idx"], outputs: ["picked"], attrs: { axis: 0 } },
    { op: "Shape", inputs: ["idx"], outputs: ["count"] },
    { op: "Concat", inputs: ["one", "count"], outputs: ["target"], attrs: { axis: 0 } },
    { op: "Reshape", inputs: ["picked", "target"], outputs: ["row"] },
    { op: "Squeeze", inputs: ["count", "axis0"], outputs: ["limit"] },
    { op: "Cast", inputs: ["limit"], outputs: ["limit_f"], attrs: { to: 1 } },
    { op: "Range", inputs: ["zero", "limit_f", "step"], outputs: ["ramp"] },
    { op: "Add", inputs: ["row", "ramp"], outputs: ["y"] },
  ],
  initializers: [
    initializer("cut", [0.5], []),
    initializer("axis0", [0], [1], "int64"),
    initializer("one", [1], [1], "int64"),
    initializer("zero", [0], []),
    initializer("step", [1], []),
  ],
});

/**
 * Two host steps in a row, as a two-stage detector's head: NonMaxSuppression picks proposals, the
 * picked boxes become RoiAlign's rois (their count and positions both from the data), and
 * RoiAlign crops the feature map at them.
 */
export const proposalCrops = buildModel({
  opset: 16,
  inputs: [
    { name: "features", type: "float32", shape: [1, 4, 24, 24] },
    { name: "proposals", type: "float32", shape: [1, 64, 4] },
    { name: "objectness", type: "float32", shape: [1, 1, 64] },
  ],
  outputs: [{ name: "crops", type: "float32" }],
  nodes: [
    { op: "Relu", inputs: ["features"], outputs: ["fmap"] },
    { op: "Mul", inputs: ["proposals", "stride"], outputs: ["boxes"] },
    { op: "NonMaxSuppression", inputs: ["boxes", "objectness", "max_out", "iou", "score_min"], outputs: ["selected"] },
    { op: "Gather", inputs: ["selected", "col_box"], outputs: ["box_index"], attrs: { axis: 1 } },
    { op: "Squeeze", inputs: ["boxes", "axis0"], outputs: ["box_rows"] },
    { op: "Gather", inputs: ["box_rows", "box_index"], outputs: ["rois"], attrs: { axis: 0 } },
    { op: "Gather", inputs: ["selected", "col_batch"], outputs: ["batch_index"], attrs: { axis: 1 } },
    {
      op: "RoiAlign",
      inputs: ["fmap", "rois", "batch_index"],
      outputs: ["crops"],
      attrs: { output_height: 3, output_width: 3, sampling_ratio: 0, spatial_scale: { float: 0.25 } },
    },
  ],
  initializers: [
    initializer("stride", [96], []),
    initializer("max_out", [40], [1], "int64"),
    initializer("iou", [0.3], [1]),
    initializer("score_min", [0.5], [1]),
    initializer("col_box", [2], [], "int64"),
    initializer("col_batch", [0], [], "int64"),
    initializer("axis0", [0], [1], "int64"),
  ],
});

/** Proposals as [y1, x1, y2, x2] in [0, 1] and their objectness; `seed` varies how many pass. */
function proposalInputs(seed: number): DataSizedCase["inputs"] {
  const u = uniforms(4 * 24 * 24 + 64 * 4 + 64, seed);
  const boxes = Float32Array.from({ length: 64 * 4 }, (_, i) => {
    const corner = u[4 * 24 * 24 + i - (i % 4)]! * 0.7;
    return i % 4 < 2 ? corner : corner + 0.05 + u[4 * 24 * 24 + i]! * 0.25;
  });
  return {
    features: { data: Float32Array.from(u.subarray(0, 4 * 24 * 24), (v) => v * 2 - 0.5), shape: [1, 4, 24, 24] },
    proposals: { data: boxes, shape: [1, 64, 4] },
    objectness: { data: u.slice(4 * 24 * 24 + 64 * 4), shape: [1, 1, 64] },
  };
}

export const DATA_SIZED_CASES: readonly DataSizedCase[] = [
  { name: "yolo-3-objects", model: yoloPostprocess, inputs: yoloFrame(3, 1) },
  { name: "yolo-9-objects", model: yoloPostprocess, inputs: yoloFrame(9, 2) },
  { name: "nonzero-8200", model: nonZeroGather, inputs: { x: { data: uniforms(NONZERO_ROWS * NONZERO_COLS, 3), shape: [NONZERO_ROWS, NONZERO_COLS] } } },
  { name: "nonzero-8200-other", model: nonZeroGather, inputs: { x: { data: uniforms(NONZERO_ROWS * NONZERO_COLS, 4), shape: [NONZERO_ROWS, NONZERO_COLS] } } },
  { name: "count-shapes-a", model: countShapes, inputs: { x: { data: uniforms(64, 5), shape: [64] } } },
  { name: "count-shapes-b", model: countShapes, inputs: { x: { data: uniforms(64, 6), shape: [64] } } },
  { name: "proposal-crops-a", model: proposalCrops, inputs: proposalInputs(7) },
  { name: "proposal-crops-b", model: proposalCrops, inputs: proposalInputs(8) },
];
