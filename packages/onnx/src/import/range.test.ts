import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";
const table = initializer(
  "table",
  Array.from({ length: 16 }, (_, i) => i * 0.5 - 3),
  [8, 2],
);

test("Range over the sequence length (position ids) runs at two lengths in one session", { skip }, async () => {
  // positions = Range(0, shape(ids)[1], 1); y = table[ids] + table[positions]
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "ids", type: "int64", shape: [1, "seq"] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Shape", inputs: ["ids"], outputs: ["shape"] },
      { op: "Gather", inputs: ["shape", "one"], outputs: ["len"], attrs: { axis: 0 } },
      { op: "Range", inputs: ["zero", "len", "one"], outputs: ["positions"] },
      { op: "Gather", inputs: ["table", "ids"], outputs: ["tokens"], attrs: { axis: 0 } },
      { op: "Gather", inputs: ["table", "positions"], outputs: ["places"], attrs: { axis: 0 } },
      { op: "Add", inputs: ["tokens", "places"], outputs: ["y"] },
    ],
    initializers: [table, initializer("zero", [0], [], "int64"), initializer("one", [1], [], "int64")],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  for (const ids of [
    [3, 1, 4],
    [1, 5, 2, 6, 5],
  ]) {
    const got = await session.run({ ids: { data: ids, shape: [1, ids.length], dtype: "int32" } });
    await expectLikeOnnxruntime(model, { ids: { data: BigInt64Array.from(ids.map(BigInt)), shape: [1, ids.length], type: "int64" } }, got);
  }
  session.dispose();
});

test("Range whose limit is read from an input's data is computed per run", { skip }, async () => {
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "limit", type: "float32", shape: [] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Range", inputs: ["start", "limit", "delta"], outputs: ["r"] },
      { op: "Mul", inputs: ["r", "r"], outputs: ["y"] },
    ],
    initializers: [initializer("start", [0.5], []), initializer("delta", [0.75], [])],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  for (const limit of [3, 5.2, 3]) {
    const got = await session.run({ limit: { data: [limit], shape: [] } });
    assert.equal(got.y!.shape[0], Math.ceil((limit - 0.5) / 0.75));
    await expectLikeOnnxruntime(model, { limit: { data: Float32Array.of(limit), shape: [], type: "float32" } }, got);
  }
  // One plan per value of the limit (an input: read from the feed, no prefix run needed).
  assert.equal(session.planCount, 2);
  session.dispose();
});
