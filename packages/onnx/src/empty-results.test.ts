import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { OnnxSession } from "./session.ts";
import { buildModel, initializer } from "./testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "./testing/onnxruntime.ts";

/**
 * Data-sized ops whose result is empty (a Compress condition selecting nothing, NonZero of an
 * all-zero input, Unique of nothing) and the ops real models put after them, each run beside a
 * non-empty run in one session and compared with onnxruntime-node.
 */
const skip = ort ? false : "onnxruntime-node is not installed";
const webgpu = await useDevice("webgpu").then(
  () => skip,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

/** Runs `model` on each x (rows of 3) in one session and checks every output against onnxruntime. */
async function expectRunsLikeOnnxruntime(model: Uint8Array, rows: readonly number[][], device = "cpu"): Promise<number[][]> {
  const session = await OnnxSession.create(model, { device });
  const shapes: number[][] = [];
  try {
    for (const x of rows) {
      const shape = [x.length / 3, 3];
      const got = await session.run({ x: { data: Float32Array.from(x), shape } });
      await expectLikeOnnxruntime(model, { x: { data: Float32Array.from(x), shape, type: "float32" } }, got, 1e-6);
      shapes.push([...Object.values(got)[0]!.shape]);
    }
  } finally {
    session.dispose();
  }
  return shapes;
}

/** Rows of x whose first entry is positive, picked by Compress, and what models do with them next. */
const compressThenUses = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: ["n", 3] }],
  outputs: [
    { name: "kept", type: "float32" },
    { name: "doubled", type: "float32" },
    { name: "gathered", type: "float32" },
    { name: "gatheredND", type: "float32" },
    { name: "flat", type: "float32" },
    { name: "joined", type: "float32" },
    { name: "total", type: "float32" },
    { name: "peak", type: "float32" },
    { name: "lowest", type: "float32" },
    { name: "mean", type: "float32" },
    { name: "shape", type: "int64" },
    { name: "tiled", type: "float32" },
    { name: "columns", type: "float32" },
  ],
  nodes: [
    { op: "Gather", inputs: ["x", "zero_i"], outputs: ["first"], attrs: { axis: 1 } },
    { op: "Greater", inputs: ["first", "zero_f"], outputs: ["keep"] },
    { op: "Compress", inputs: ["x", "keep"], outputs: ["kept"], attrs: { axis: 0 } },
    // The row numbers kept, as models pick indices before a Gather.
    { op: "Shape", inputs: ["x"], outputs: ["x_shape"] },
    { op: "Gather", inputs: ["x_shape", "zero_i"], outputs: ["n"] },
    { op: "Range", inputs: ["zero_i", "n", "one_i"], outputs: ["row_numbers"] },
    { op: "Compress", inputs: ["row_numbers", "keep"], outputs: ["picked"], attrs: { axis: 0 } },
    { op: "Mul", inputs: ["kept", "two"], outputs: ["doubled"] },
    { op: "Gather", inputs: ["x", "picked"], outputs: ["gathered"], attrs: { axis: 0 } },
    { op: "Unsqueeze", inputs: ["picked", "last_axis"], outputs: ["picked_tuples"] },
    { op: "GatherND", inputs: ["x", "picked_tuples"], outputs: ["gatheredND"] },
    { op: "Reshape", inputs: ["kept", "flat_shape"], outputs: ["flat"] },
    { op: "Concat", inputs: ["kept", "x"], outputs: ["joined"], attrs: { axis: 0 } },
    { op: "ReduceSum", inputs: ["kept", "axis0"], outputs: ["total"], attrs: { keepdims: 0 } },
    { op: "ReduceMax", inputs: ["kept"], outputs: ["peak"], attrs: { axes: [0], keepdims: 0 } },
    { op: "ReduceMin", inputs: ["kept"], outputs: ["lowest"], attrs: { axes: [0], keepdims: 1 } },
    { op: "ReduceMean", inputs: ["kept"], outputs: ["mean"], attrs: { axes: [0], keepdims: 0 } },
    { op: "Shape", inputs: ["kept"], outputs: ["shape"] },
    { op: "Tile", inputs: ["kept", "repeats"], outputs: ["tiled"] },
    { op: "Transpose", inputs: ["kept"], outputs: ["columns"], attrs: { perm: [1, 0] } },
  ],
  initializers: [
    initializer("zero_i", [0], [], "int64"),
    initializer("one_i", [1], [], "int64"),
    initializer("zero_f", [0], []),
    initializer("two", [2], []),
    initializer("last_axis", [-1], [1], "int64"),
    initializer("axis0", [0], [1], "int64"),
    initializer("flat_shape", [-1], [1], "int64"),
    initializer("repeats", [2, 1], [2], "int64"),
  ],
});

test("Compress selecting nothing gives [0, 3], and Gather, GatherND, Reshape, Concat, reductions, Shape, Tile follow onnxruntime", { skip }, async () => {
  const shapes = await expectRunsLikeOnnxruntime(compressThenUses, [
    [1, 2, 3, -1, 5, 6, 2, 0, 1],
    [-1, 2, 3, -4, 5, 6],
    [3, 3, 3],
  ]);
  assert.deepEqual(shapes, [
    [2, 3],
    [0, 3],
    [1, 3],
  ]);
});

test("an empty Compress result runs the same on npu-sim", { skip }, async () => {
  await expectRunsLikeOnnxruntime(
    compressThenUses,
    [
      [-1, 2, 3, -4, 5, 6],
      [1, 2, 3, -1, 5, 6, 2, 0, 1],
    ],
    "npu-sim",
  );
});

test("an empty Compress result runs the same on webgpu (zero-size buffers)", { skip: webgpu }, async () => {
  await expectRunsLikeOnnxruntime(
    compressThenUses,
    [
      [-1, 2, 3, -4, 5, 6],
      [1, 2, 3, -1, 5, 6, 2, 0, 1],
    ],
    "webgpu",
  );
});

/** The positive entries of x, found by NonZero, and what models do with the indices. */
const nonZeroThenUses = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: ["n", 3] }],
  outputs: [
    { name: "where", type: "int64" },
    { name: "values", type: "float32" },
    { name: "coordinates", type: "int64" },
    { name: "flat_where", type: "int64" },
    { name: "sum", type: "float32" },
    { name: "padded", type: "float32" },
    { name: "rows", type: "float32" },
    { name: "where_shape", type: "int64" },
    { name: "count", type: "int64" },
  ],
  nodes: [
    { op: "Greater", inputs: ["x", "zero_f"], outputs: ["positive"] },
    { op: "NonZero", inputs: ["positive"], outputs: ["where"] },
    { op: "Transpose", inputs: ["where"], outputs: ["tuples"], attrs: { perm: [1, 0] } },
    { op: "GatherND", inputs: ["x", "tuples"], outputs: ["values"] },
    { op: "Reshape", inputs: ["tuples", "flat_shape"], outputs: ["coordinates"] },
    // [2, 0] → [-1] is [0]: the target's resolved 0 is a size, not "copy the input dim" (2).
    { op: "Reshape", inputs: ["where", "flat_shape"], outputs: ["flat_where"] },
    { op: "ReduceSum", inputs: ["values"], outputs: ["sum"], attrs: { keepdims: 0 } },
    // Concat of the (maybe empty) values with a non-empty tail.
    { op: "Concat", inputs: ["values", "tail"], outputs: ["padded"], attrs: { axis: 0 } },
    { op: "Gather", inputs: ["where", "zero_i"], outputs: ["row_of_each"], attrs: { axis: 0 } },
    { op: "Gather", inputs: ["x", "row_of_each"], outputs: ["rows"], attrs: { axis: 0 } },
    { op: "Shape", inputs: ["where"], outputs: ["where_shape"] },
    { op: "Size", inputs: ["values"], outputs: ["count"] },
  ],
  initializers: [
    initializer("zero_f", [0], []),
    initializer("zero_i", [0], [], "int64"),
    initializer("flat_shape", [-1], [1], "int64"),
    initializer("tail", [7, 8], [2]),
  ],
});

test("NonZero of an all-zero input gives [2, 0], and Transpose, GatherND, Reshape, ReduceSum, Concat, Gather, Shape follow onnxruntime", { skip }, async () => {
  const shapes = await expectRunsLikeOnnxruntime(nonZeroThenUses, [
    [1, -2, 3, 0, 5, -6],
    [0, -2, 0, -1, 0, 0],
    [0, 0, 0],
    [4, 4, 4],
  ]);
  assert.deepEqual(shapes, [
    [2, 3],
    [2, 0],
    [2, 0],
    [2, 3],
  ]);
});

test("an empty NonZero result runs the same on npu-sim", { skip }, async () => {
  await expectRunsLikeOnnxruntime(
    nonZeroThenUses,
    [
      [0, -2, 0, -1, 0, 0],
      [1, -2, 3, 0, 5, -6],
    ],
    "npu-sim",
  );
});

test("Compress with a condition known at import that selects nothing folds to an empty constant", { skip }, async () => {
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "joined", type: "float32" }],
    nodes: [
      { op: "Compress", inputs: ["table", "none"], outputs: ["nothing"], attrs: { axis: 0 } },
      { op: "Concat", inputs: ["nothing", "x"], outputs: ["joined"], attrs: { axis: 0 } },
    ],
    initializers: [initializer("table", [1, 2, 3, 4, 5, 6], [2, 3]), initializer("none", [0, 0], [2], "bool")],
  });
  assert.deepEqual(await expectRunsLikeOnnxruntime(model, [[1, 2, 3, 4, 5, 6]]), [[2, 3]]);
});

test("an empty NonZero result runs the same on webgpu", { skip: webgpu }, async () => {
  await expectRunsLikeOnnxruntime(
    nonZeroThenUses,
    [
      [0, -2, 0, -1, 0, 0],
      [1, -2, 3, 0, 5, -6],
    ],
    "webgpu",
  );
});

/** ArgMax down the rows Compress kept: onnxruntime refuses an empty axis too. */
const argMaxOfKept = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: ["n", 3] }],
  outputs: [{ name: "best", type: "int64" }],
  nodes: [
    { op: "Gather", inputs: ["x", "zero_i"], outputs: ["first"], attrs: { axis: 1 } },
    { op: "Greater", inputs: ["first", "zero_f"], outputs: ["keep"] },
    { op: "Compress", inputs: ["x", "keep"], outputs: ["kept"], attrs: { axis: 0 } },
    { op: "ArgMax", inputs: ["kept"], outputs: ["best"], attrs: { axis: 0, keepdims: 0 } },
  ],
  initializers: [initializer("zero_i", [0], [], "int64"), initializer("zero_f", [0], [])],
});

test("an op that cannot take the empty result (ArgMax along the empty axis) names the node and shape", { skip }, async () => {
  await expectRunsLikeOnnxruntime(argMaxOfKept, [[1, 2, 3, 2, 0, 9]]);
  const session = await OnnxSession.create(argMaxOfKept, { device: "cpu" });
  await assert.rejects(
    session.run({ x: { data: Float32Array.from([-1, 2, 3]), shape: [1, 3] } }),
    /ONNX node 'ArgMax_3' \(ArgMax, opset 13\): argMax: cannot reduce an empty dimension \(input float32\[0, 3\]\)/,
  );
  session.dispose();
});

/** Proposals kept by score (Compress), cropped by RoiAlign and suppressed by NonMaxSuppression: no proposal left is a run like any other. */
const proposalsKeptByScore = buildModel({
  opset: 16,
  inputs: [
    { name: "image", type: "float32", shape: [1, 2, 6, 6] },
    { name: "scores", type: "float32", shape: [4] },
  ],
  outputs: [
    { name: "crops", type: "float32" },
    { name: "selected", type: "int64" },
  ],
  nodes: [
    { op: "Greater", inputs: ["scores", "threshold"], outputs: ["keep"] },
    { op: "Compress", inputs: ["rois", "keep"], outputs: ["kept_rois"], attrs: { axis: 0 } },
    { op: "Compress", inputs: ["batch_index", "keep"], outputs: ["kept_batch"], attrs: { axis: 0 } },
    { op: "RoiAlign", inputs: ["image", "kept_rois", "kept_batch"], outputs: ["crops"], attrs: { output_height: 2, output_width: 2, sampling_ratio: 2 } },
    { op: "Compress", inputs: ["scores", "keep"], outputs: ["kept_scores"], attrs: { axis: 0 } },
    { op: "Unsqueeze", inputs: ["kept_rois", "axis0"], outputs: ["boxes"] },
    { op: "Reshape", inputs: ["kept_scores", "one_class"], outputs: ["class_scores"] },
    { op: "NonMaxSuppression", inputs: ["boxes", "class_scores", "max_boxes", "iou"], outputs: ["selected"] },
  ],
  initializers: [
    initializer("threshold", [0.5], []),
    initializer("rois", [0, 0, 3, 3, 1, 1, 5, 5, 2, 0, 4, 4, 0, 2, 5, 5], [4, 4]),
    initializer("batch_index", [0, 0, 0, 0], [4], "int64"),
    initializer("axis0", [0], [1], "int64"),
    initializer("one_class", [1, 1, -1], [3], "int64"),
    initializer("max_boxes", [10], [1], "int64"),
    initializer("iou", [0.5], [1]),
  ],
});

test("RoiAlign and NonMaxSuppression on proposals Compress left none of give [0, 2, 2, 2] and [0, 3] like onnxruntime", { skip }, async () => {
  const session = await OnnxSession.create(proposalsKeptByScore, { device: "cpu" });
  const image = Float32Array.from({ length: 72 }, (_, i) => Math.sin(i));
  const counts: number[] = [];
  for (const scores of [
    [0.9, 0.1, 0.7, 0.6],
    [0.1, 0.2, 0.3, 0.4],
    [0.9, 0.9, 0.1, 0.1],
  ]) {
    const s = Float32Array.from(scores);
    const got = await session.run({ image: { data: image, shape: [1, 2, 6, 6] }, scores: { data: s, shape: [4] } });
    await expectLikeOnnxruntime(
      proposalsKeptByScore,
      { image: { data: image, shape: [1, 2, 6, 6], type: "float32" }, scores: { data: s, shape: [4], type: "float32" } },
      got,
      1e-5,
    );
    counts.push(got.crops!.shape[0]!);
  }
  assert.deepEqual(counts, [3, 0, 2]);
  session.dispose();
});
