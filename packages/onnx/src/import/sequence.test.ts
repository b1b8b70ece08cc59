import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { FormatError, ShapeError } from "@polychip/hal";
import { encodeModel } from "../proto/codec.ts";
import { OnnxSession } from "../session.ts";
import { importOnnx } from "./importer.ts";
import { initializer, modelProto, type ModelSpec } from "../testing/model-builder.ts";
import { ort } from "../testing/onnxruntime.ts";

/**
 * Sequence ops on cases ONNX's node tests leave out (negative positions, a short last chunk, a
 * zero-size piece, stacking on a negative axis), with positions and split sizes fed as inputs:
 * OnnxSession reads them per run and plans per value. Checked against onnxruntime-node on cpu and
 * npu-sim; bad positions and splits are errors naming the node.
 */
const DEVICES = ["cpu", "npu-sim"];
const skip = ort ? false : "onnxruntime-node is not installed";

const x = { data: Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2), shape: [6, 2] };
/** An int64 scalar, and an int64 vector. */
const i64 = (v: number) => ({ data: BigInt64Array.from([BigInt(v)]), shape: [] });
const i64s = (...v: number[]) => ({ data: BigInt64Array.from(v.map(BigInt)), shape: [v.length] });

/** x split into a sequence (by the `split` input), the element at `pos`, the sequence with it erased stacked on axis -1, and its length. */
const splitPickStack: ModelSpec = {
  opset: 13,
  inputs: [
    { name: "x", type: "float32", shape: [6, 2] },
    { name: "split", type: "int64", shape: ["k"] },
    { name: "pos", type: "int64", shape: [] },
  ],
  outputs: [
    { name: "picked", type: "float32" },
    { name: "rest", type: "float32" },
    { name: "count", type: "int64", shape: [] },
  ],
  nodes: [
    { op: "SplitToSequence", inputs: ["x", "split"], outputs: ["seq"] },
    { op: "SequenceAt", inputs: ["seq", "pos"], outputs: ["picked"] },
    { op: "SequenceErase", inputs: ["seq", "pos"], outputs: ["erased"] },
    { op: "SequenceInsert", inputs: ["erased", "picked", "pos"], outputs: ["back"] },
    { op: "SequenceLength", inputs: ["back"], outputs: ["count"] },
    { op: "ConcatFromSequence", inputs: ["back"], outputs: ["rest"], attrs: { axis: 0 } },
  ],
};

/** Rows one at a time (no split: size-1 chunks, squeezed), stacked on a negative new axis. */
const rowsStacked: ModelSpec = {
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: [6, 2] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "SplitToSequence", inputs: ["x"], outputs: ["rows"], attrs: { keepdims: 0 } },
    { op: "ConcatFromSequence", inputs: ["rows"], outputs: ["y"], attrs: { axis: -1, new_axis: 1 } },
  ],
};

/** Rows by a scalar split of 1 with keepdims=0 (PyTorch's unbind): squeezed, as onnxruntime does, then stacked on axis 1. */
const unbindStacked: ModelSpec = {
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: [6, 2] }],
  outputs: [{ name: "y", type: "float32" }],
  initializers: [initializer("one", [1], [], "int64")],
  nodes: [
    { op: "SplitToSequence", inputs: ["x", "one"], outputs: ["rows"], attrs: { keepdims: 0 } },
    { op: "ConcatFromSequence", inputs: ["rows"], outputs: ["y"], attrs: { axis: 1, new_axis: 1 } },
  ],
};

/** Equal chunks of 4 (a scalar split): 6 rows give chunks of 4 and 2. */
const scalarChunks: ModelSpec = {
  opset: 13,
  inputs: [
    { name: "x", type: "float32", shape: [6, 2] },
    { name: "chunk", type: "int64", shape: [] },
  ],
  outputs: [{ name: "last", type: "float32" }],
  initializers: [initializer("minus1", [-1], [], "int64")],
  nodes: [
    { op: "SplitToSequence", inputs: ["x", "chunk"], outputs: ["seq"] },
    { op: "SequenceAt", inputs: ["seq", "minus1"], outputs: ["last"] },
  ],
};

async function compareWithOnnxruntime(spec: ModelSpec, feeds: Record<string, { data: Float32Array | BigInt64Array; shape: number[] }>[], device: string) {
  const bytes = encodeModel(modelProto(spec));
  const session = await OnnxSession.create(bytes, { device });
  const reference = await ort!.InferenceSession.create(bytes);
  try {
    for (const feed of feeds) {
      const want = await reference.run(
        Object.fromEntries(Object.entries(feed).map(([k, f]) => [k, new ort!.Tensor(f.data instanceof BigInt64Array ? "int64" : "float32", f.data, f.shape)])),
      );
      const got = await session.run(feed as never); // int64 feeds as BigInt64Array, as onnxruntime users write them
      for (const name of reference.outputNames) {
        const w = want[name]!;
        const what = `${name} for ${JSON.stringify(Object.fromEntries(Object.entries(feed).map(([k, f]) => [k, Array.from(f.data, Number)])))}`;
        assert.deepEqual(got[name]!.shape, [...w.dims], `${what}: shape`);
        assert.deepEqual(Array.from(got[name]!.data), Array.from(w.data as ArrayLike<number | bigint>, Number), what);
      }
    }
  } finally {
    session.dispose();
    await reference.release();
  }
}

for (const device of DEVICES) {
  test(`split sizes and positions fed per run (negative, zero-size piece) match onnxruntime on ${device}`, { skip }, async () => {
    await compareWithOnnxruntime(
      splitPickStack,
      [
        { x, split: i64s(1, 3, 2), pos: i64(1) },
        { x, split: i64s(1, 3, 2), pos: i64(-1) },
        { x, split: i64s(2, 0, 4), pos: i64(-2) },
        { x, split: i64s(6), pos: i64(0) },
      ],
      device,
    );
  });

  test(`rows split with keepdims=0 and stacked on axis -1 match onnxruntime on ${device}`, { skip }, async () => {
    await compareWithOnnxruntime(rowsStacked, [{ x }], device);
  });

  test(`a scalar split of 1 with keepdims=0 (PyTorch's unbind) drops the axis, as onnxruntime does, on ${device}`, { skip }, async () => {
    await compareWithOnnxruntime(unbindStacked, [{ x }], device);
  });

  test(`a scalar split leaves a short last chunk, as onnxruntime does, on ${device}`, { skip }, async () => {
    await compareWithOnnxruntime(
      scalarChunks,
      [
        { x, chunk: i64(4) },
        { x, chunk: i64(5) },
        { x, chunk: i64(6) },
      ],
      device,
    );
  });
}

test("SequenceAt past the end is an error naming the node and the valid positions", async () => {
  const session = await OnnxSession.create(encodeModel(modelProto(splitPickStack)), { device: "cpu" });
  try {
    await assert.rejects(
      session.run({ x, split: i64s(1, 3, 2), pos: i64(3) } as never),
      (err: Error) => err instanceof ShapeError && /SequenceAt.*position 3 is out of range for a sequence of 3 \(valid: -3 to 2\)/.test(err.message),
    );
  } finally {
    session.dispose();
  }
});

test("split sizes that do not add up to the axis are an error naming the node", async () => {
  const session = await OnnxSession.create(encodeModel(modelProto(splitPickStack)), { device: "cpu" });
  try {
    await assert.rejects(
      session.run({ x, split: i64s(1, 2), pos: i64(0) } as never),
      (err: Error) => err instanceof ShapeError && /SplitToSequence.*split \[1, 2\] does not cut an axis of 6/.test(err.message),
    );
  } finally {
    session.dispose();
  }
});

test("a tensor op reading a sequence is an error naming the value", () => {
  const proto = modelProto({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: "float32", shape: [2] }],
    nodes: [
      { op: "SequenceConstruct", inputs: ["x", "x"], outputs: ["s"] },
      { op: "Relu", inputs: ["s"], outputs: ["y"] },
    ],
  });
  assert.throws(
    () => importOnnx(encodeModel(proto)),
    (err: Error) => err instanceof FormatError && /Relu.*'s' is a sequence, where a tensor is expected/.test(err.message),
  );
});
