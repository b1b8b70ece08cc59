import assert from "node:assert/strict";
import { test } from "node:test";
import { execute } from "@polychip/engine/runtime";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { importOnnx } from "./importer.ts";

/**
 * What a traced transformer exports: rows of every batch item merged for a matmul, split back with
 * -1, broadcast with Expand's 1 at the batch, then a batched MatMul against a value that never
 * went through a reshape. Each step must keep knowing its dim is (a multiple of) "batch".
 */
const model = buildModel({
  opset: 17,
  inputs: [{ name: "x", type: "float32", shape: ["batch", 4, 3] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Reshape", inputs: ["x", "rows"], outputs: ["flat"] },
    { op: "Relu", inputs: ["flat"], outputs: ["r"] },
    { op: "Reshape", inputs: ["r", "items"], outputs: ["back"] },
    { op: "Expand", inputs: ["back", "keep"], outputs: ["e"] },
    { op: "Transpose", inputs: ["x"], outputs: ["xt"], attrs: { perm: [0, 2, 1] } },
    { op: "MatMul", inputs: ["e", "xt"], outputs: ["y"] },
  ],
  initializers: [initializer("rows", [-1, 3], [2], "int64"), initializer("items", [-1, 4, 3], [3], "int64"), initializer("keep", [1, 4, 3], [3], "int64")],
});

test("reshapes that merge the batch and split it back keep the symbol, so a later batched MatMul imports", async () => {
  const graph = importOnnx(model);
  assert.deepEqual(graph.outputs[0]!.shape, ["batch", 4, 4]);
  for (const batch of [1, 3]) {
    const x = Float32Array.from({ length: batch * 12 }, (_, i) => Math.sin(i * 0.7));
    const y = (await execute(graph, { x: { data: x, shape: [batch, 4, 3] } }, { device: "cpu" })).y!;
    assert.deepEqual(y.shape, [batch, 4, 4]);
    const expected: number[] = [];
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) {
          let s = 0;
          for (let k = 0; k < 3; k++) s += Math.max(x[b * 12 + i * 3 + k]!, 0) * x[b * 12 + j * 3 + k]!;
          expected.push(s);
        }
    y.data.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5, `batch ${batch}, element ${i}: ${v} vs ${expected[i]}`));
  }
});
