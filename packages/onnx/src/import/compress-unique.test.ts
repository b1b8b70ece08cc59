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

test("Compress whose condition keeps nothing is refused with a clear error", async () => {
  const session = await OnnxSession.create(compressRows, { device: "cpu" });
  await assert.rejects(session.run({ x: { data: Float32Array.from([-1, 2, 3]), shape: [1, 3] } }), /Compress.*selects nothing/);
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
