import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";

function triluModel(upper: number, k: number | undefined, type: "float32" | "int64", shape: number[]): Uint8Array {
  return buildModel({
    opset: 14,
    inputs: [{ name: "x", type, shape }],
    outputs: [{ name: "y", type }],
    nodes: [{ op: "Trilu", inputs: k === undefined ? ["x"] : ["x", "k"], outputs: ["y"], attrs: { upper } }],
    initializers: k === undefined ? [] : [initializer("k", [k], [], "int64")],
  });
}

for (const upper of [1, 0]) {
  for (const k of [undefined, 0, 2, -1, -5]) {
    test(`Trilu (upper ${upper}, k ${k ?? "absent"}) of a [2, 3, 5] float32 matches onnxruntime`, { skip }, async () => {
      const model = triluModel(upper, k, "float32", [2, 3, 5]);
      const data = Float32Array.from({ length: 30 }, (_, i) => i * 0.5 - 3);
      const session = await OnnxSession.create(model, { device: "cpu" });
      const got = await session.run({ x: { data, shape: [2, 3, 5], dtype: "float32" } });
      await expectLikeOnnxruntime(model, { x: { data, shape: [2, 3, 5], type: "float32" } }, got, 0);
      session.dispose();
    });
  }
}

test("Trilu keeps int64 values and the lower triangle of a tall [4, 2] matrix", { skip }, async () => {
  const model = triluModel(0, 0, "int64", [4, 2]);
  const values = [1, 2, 3, 4, 5, 6, 7, 8];
  const session = await OnnxSession.create(model, { device: "cpu" });
  const got = await session.run({ x: { data: Int32Array.from(values), shape: [4, 2], dtype: "int32" } });
  assert.deepEqual(Array.from(got.y!.data), [1, 0, 3, 4, 5, 6, 7, 8]);
  await expectLikeOnnxruntime(model, { x: { data: BigInt64Array.from(values, BigInt), shape: [4, 2], type: "int64" } }, got, 0);
  session.dispose();
});

test("Trilu refuses a vector, naming the op", async () => {
  const model = triluModel(1, 0, "float32", [4]);
  await assert.rejects(
    OnnxSession.create(model, { device: "cpu" }).then((s) => s.run({ x: { data: new Float32Array(4), shape: [4], dtype: "float32" } })),
    /\(Trilu, opset 14\): input must have rank 2 or more, got \[4\]/,
  );
});
