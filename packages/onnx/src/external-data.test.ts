import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FormatError } from "@polychip/hal";
import { execute } from "@polychip/engine/runtime";
import { importModelProto } from "./import/importer.ts";
import { encodeModel } from "./proto/codec.ts";
import { DataType, type TensorProto } from "./proto/types.ts";
import { readOnnxModel } from "./read-model.ts";
import { modelProto } from "./testing/model-builder.ts";
import { ort } from "./testing/onnxruntime.ts";

const dir = mkdtempSync(join(tmpdir(), "polychip-external-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const weights = Float32Array.of(1, 2, 3, 4, 5, 6); // W: [3, 2]
function externalModel(location: string, offset: number, length = 24): Uint8Array {
  const w: TensorProto = {
    name: "w",
    dims: [3, 2],
    dataType: DataType.FLOAT,
    dataLocation: 1,
    externalData: [
      { key: "location", value: location },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(length) },
    ],
  };
  return encodeModel(
    modelProto({
      opset: 13,
      inputs: [{ name: "x", type: "float32", shape: [1, 3] }],
      outputs: [{ name: "y", type: "float32", shape: [1, 2] }],
      nodes: [{ op: "MatMul", inputs: ["x", "w"], outputs: ["y"] }],
      initializers: [w],
    }),
  );
}
// The weights sit 8 bytes into the file, after another tensor's bytes.
const file = new Uint8Array(8 + 24);
file.set(new Uint8Array(weights.buffer), 8);
writeFileSync(join(dir, "weights.bin"), file);
writeFileSync(join(dir, "model.onnx"), externalModel("weights.bin", 8));

test("readOnnxModel loads tensors from an external-data file beside the model", async () => {
  const graph = importModelProto(readOnnxModel(join(dir, "model.onnx"))).graph;
  const y = (await execute(graph, { x: { data: [1, 1, 1], shape: [1, 3] } }, { device: "cpu" })).y!;
  assert.deepEqual(Array.from(y.data), [9, 12]);
  if (ort) {
    const session = await ort.InferenceSession.create(join(dir, "model.onnx"));
    const want = await session.run({ x: new ort.Tensor("float32", Float32Array.of(1, 1, 1), [1, 3]) });
    assert.deepEqual(Array.from(want.y!.data as Float32Array), Array.from(y.data));
    await session.release();
  }
});

test("external data outside the model's folder or outside the file is a FormatError naming it", () => {
  writeFileSync(join(dir, "escape.onnx"), externalModel("../secret.bin", 0));
  assert.throws(
    () => readOnnxModel(join(dir, "escape.onnx")),
    (e: Error) => e instanceof FormatError && /'\.\.\/secret\.bin' must be a path inside/.test(e.message),
  );
  writeFileSync(join(dir, "short.onnx"), externalModel("weights.bin", 16));
  assert.throws(
    () => readOnnxModel(join(dir, "short.onnx")),
    (e: Error) => e instanceof FormatError && /bytes 16\.\.40 are outside 'weights\.bin' \(32 bytes\)/.test(e.message),
  );
  writeFileSync(join(dir, "missing.onnx"), externalModel("nowhere.bin", 0));
  assert.throws(
    () => readOnnxModel(join(dir, "missing.onnx")),
    (e: Error) => e instanceof FormatError && /external data file '.*nowhere\.bin'/.test(e.message),
  );
});
