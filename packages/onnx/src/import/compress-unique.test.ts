import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";

/** y = Compress(x, x[:, 0] > 0, axis 0) · 2: the rows kept depend on the data. */
const compressRows = buildModel({
  opset: 11,
  inputs: [{ name: "x", type: "float32", shape: ["n", 3] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Gather", inputs: ["x", "zero_i"], outputs: ["first"], attrs: { axis: 1 } },
    { op: "Greater", inputs: ["first", "zero_f"], outputs: ["keep"] },
    { op: "Compress", inputs: ["x", "keep"], outputs: ["kept"], attrs: { axis: 0 } },
    { op: "Mul", inputs: ["kept", "two"], outputs: ["y"] },
  ],
  initializers: [
    { name: "zero_i", dims: [], dataType: 7, int64Data: [0] },
    { name: "zero_f", dims: [], dataType: 1, floatData: [0] },
    { name: "two", dims: [], dataType: 1, floatData: [2] },
  ],
});

test("Compress with a condition computed from the data keeps different rows on each run", { skip }, async () => {
  const session = await OnnxSession.create(compressRows, { device: "cpu" });
  for (const x of [
    [1, 2, 3, -1, 5, 6, 2, 0, 1],
    [-3, 1, 1, 4, 4, 4],
  ]) {
    const shape = [x.length / 3, 3];
    const got = await session.run({ x: { data: Float32Array.from(x), shape } });
    await expectLikeOnnxruntime(compressRows, { x: { data: Float32Array.from(x), shape, type: "float32" } }, got, 0);
  }
  session.dispose();
});

test("Compress whose condition keeps nothing gives an empty result, between non-empty runs of one session", { skip }, async () => {
  const session = await OnnxSession.create(compressRows, { device: "cpu" });
  const shapes: number[][] = [];
  for (const x of [
    [1, 2, 3],
    [-1, 2, 3, -4, 5, 6],
    [2, 2, 2, -1, 0, 0],
  ]) {
    const shape = [x.length / 3, 3];
    const got = await session.run({ x: { data: Float32Array.from(x), shape } });
    await expectLikeOnnxruntime(compressRows, { x: { data: Float32Array.from(x), shape, type: "float32" } }, got, 0);
    shapes.push([...got.y!.shape]);
  }
  assert.deepEqual(shapes, [
    [1, 3],
    [0, 3],
    [1, 3],
  ]);
  session.dispose();
});

/** The four outputs of Unique over a run-time input, along axis 0 or flattened, sorted or in order of appearance. */
function uniqueModel(attrs: Record<string, number>): Uint8Array {
  return buildModel({
    opset: 11,
    inputs: [{ name: "x", type: "float32", shape: ["n", 2] }],
    outputs: ["y", "first", "inverse", "counts"].map((name, i) => ({ name, type: i === 0 ? ("float32" as const) : ("int64" as const) })),
    nodes: [{ op: "Unique", inputs: ["x"], outputs: ["y", "first", "inverse", "counts"], attrs }],
  });
}

for (const attrs of [{ sorted: 1 }, { sorted: 0 }, { sorted: 1, axis: 0 }, { sorted: 0, axis: -2 }] as Record<string, number>[])
  test(`Unique (${JSON.stringify(attrs)}) of a run-time input matches onnxruntime on two inputs in one session`, { skip }, async () => {
    const model = uniqueModel(attrs);
    const session = await OnnxSession.create(model, { device: "cpu" });
    for (const x of [
      [3, 1, 0, 2, 3, 1, 0, 2, 3, 0],
      [5, 5, -1, 2, 5, 5],
    ]) {
      const shape = [x.length / 2, 2];
      const got = await session.run({ x: { data: Float32Array.from(x), shape } });
      await expectLikeOnnxruntime(model, { x: { data: Float32Array.from(x), shape, type: "float32" } }, got, 0);
    }
    session.dispose();
  });

for (const attrs of [{ sorted: 1 }, { sorted: 0, axis: 0 }, { sorted: 1, axis: 1 }] as Record<string, number>[])
  test(`Unique (${JSON.stringify(attrs)}) of an empty input gives empty outputs like onnxruntime, between non-empty runs`, { skip }, async () => {
    const model = uniqueModel(attrs);
    const session = await OnnxSession.create(model, { device: "cpu" });
    for (const x of [[3, 1, 3, 1], [], [2, 2]]) {
      const shape = [x.length / 2, 2];
      const got = await session.run({ x: { data: Float32Array.from(x), shape } });
      await expectLikeOnnxruntime(model, { x: { data: Float32Array.from(x), shape, type: "float32" } }, got, 0);
      // Along axis 1 the two columns of a [0, 2] input are equal (both empty): one unique column.
      if (x.length === 0) assert.deepEqual(got.y!.shape, attrs.axis === 1 ? [0, 1] : attrs.axis === 0 ? [0, 2] : [0]);
    }
    session.dispose();
  });

/** Unique of the rows Compress keeps (maybe none), then a ReduceSum of the counts and Shape of the values. */
const uniqueOfKept = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: ["n", 2] }],
  outputs: [
    { name: "values", type: "float32" },
    { name: "total", type: "int64" },
    { name: "shape", type: "int64" },
  ],
  nodes: [
    { op: "ReduceMax", inputs: ["x"], outputs: ["row_max"], attrs: { axes: [1], keepdims: 0 } },
    { op: "Greater", inputs: ["row_max", "zero"], outputs: ["keep"] },
    { op: "Compress", inputs: ["x", "keep"], outputs: ["kept"], attrs: { axis: 0 } },
    { op: "Unique", inputs: ["kept"], outputs: ["values", "", "", "counts"], attrs: { sorted: 1 } },
    { op: "ReduceSum", inputs: ["counts"], outputs: ["total"], attrs: { keepdims: 0 } },
    { op: "Shape", inputs: ["values"], outputs: ["shape"] },
  ],
  initializers: [{ name: "zero", dims: [], dataType: 1, floatData: [0] }],
});

test("Unique of an empty Compress result (two host steps, both empty) matches onnxruntime", { skip }, async () => {
  const session = await OnnxSession.create(uniqueOfKept, { device: "cpu" });
  for (const x of [
    [1, 2, 2, 1, -1, -1],
    [-1, -2, 0, 0],
    [4, 0],
  ]) {
    const shape = [x.length / 2, 2];
    const got = await session.run({ x: { data: Float32Array.from(x), shape } });
    await expectLikeOnnxruntime(uniqueOfKept, { x: { data: Float32Array.from(x), shape, type: "float32" } }, got, 0);
  }
  session.dispose();
});
