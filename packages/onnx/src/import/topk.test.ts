import assert from "node:assert/strict";
import { test } from "node:test";
import { execute } from "@polychip/engine/runtime";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { loadOnnxRuntime } from "../testing/onnxruntime.ts";
import { importOnnx } from "./importer.ts";

const ort = await loadOnnxRuntime();
const [ROWS, N, K] = [2, 5000, 300];

/** Few distinct values, so most elements tie: ONNX wants the lower index first among equals. */
const x = Float32Array.from({ length: ROWS * N }, (_, i) => Math.round(Math.sin(i * 12.9898) * 20) / 4);

function topkModel(largest: number): Uint8Array {
  return buildModel({
    opset: 11,
    inputs: [{ name: "x", type: "float32", shape: [ROWS, N] }],
    outputs: [
      { name: "values", type: "float32" },
      { name: "indices", type: "int64" },
    ],
    nodes: [{ op: "TopK", inputs: ["x", "k"], outputs: ["values", "indices"], attrs: { axis: 1, largest } }],
    initializers: [initializer("k", [K], [1], "int64")],
  });
}

/** Each row's k extremes by a plain stable sort of the positions. */
function reference(largest: boolean): { values: number[]; indices: number[] } {
  const values: number[] = [];
  const indices: number[] = [];
  for (let r = 0; r < ROWS; r++) {
    const row = Array.from({ length: N }, (_, i) => i).sort((a, b) => (largest ? x[r * N + b]! - x[r * N + a]! : x[r * N + a]! - x[r * N + b]!) || a - b);
    for (const i of row.slice(0, K)) {
      indices.push(i);
      values.push(x[r * N + i]!);
    }
  }
  return { values, indices };
}

for (const largest of [1, 0]) {
  test(`TopK (largest ${largest}) with k = ${K} of ${N} tied values: the stable order, as onnxruntime`, async () => {
    const model = topkModel(largest);
    const out = await execute(importOnnx(model), { x: { data: x, shape: [ROWS, N] } }, { device: "cpu" });
    const expected = reference(largest === 1);
    assert.deepEqual(out.values!.shape, [ROWS, K]);
    assert.deepEqual(Array.from(out.indices!.data), expected.indices);
    assert.deepEqual(Array.from(out.values!.data), expected.values);
    if (ort) {
      const session = await ort.InferenceSession.create(model);
      const theirs = await session.run({ x: new ort.Tensor("float32", x, [ROWS, N]) });
      assert.deepEqual(Array.from(theirs.indices!.data as BigInt64Array, Number), expected.indices, "onnxruntime agrees");
      await session.release();
    }
  });
}
