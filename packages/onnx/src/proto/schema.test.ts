import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { describeOnnxProto } from "./describe.ts";
import { ONNX_SCHEMA } from "./schema.ts";

test("the generated schema matches onnx.proto (run scripts/generate-schema.ts after editing it)", () => {
  const proto = readFileSync(new URL("./onnx.proto", import.meta.url), "utf8");
  assert.deepEqual(JSON.parse(JSON.stringify(ONNX_SCHEMA)), JSON.parse(JSON.stringify(describeOnnxProto(proto))));
});

test("field numbers follow the ONNX specification", () => {
  const onnx = ONNX_SCHEMA.nested.onnx.nested as unknown as Record<string, { fields: Record<string, { id: number }> }>;
  assert.equal(onnx.ModelProto!.fields.graph!.id, 7);
  assert.equal(onnx.ModelProto!.fields.opsetImport!.id, 8);
  assert.equal(onnx.NodeProto!.fields.domain!.id, 7);
  assert.equal(onnx.TensorProto!.fields.rawData!.id, 9);
  assert.equal(onnx.TensorProto!.fields.externalData!.id, 13);
  assert.equal(onnx.AttributeProto!.fields.type!.id, 20);
  assert.equal(onnx.GraphProto!.fields.initializer!.id, 5);
});
