import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { importOnnx } from "./importer.ts";

/**
 * Expand to a target computed from an input's values (AffineGrid's expansion builds [N, 2, 3]
 * from its size input): OnnxSession computes the target per run so the result's shape is static
 * and a later Squeeze of every size-1 dim can plan; a plain import leaves it to run time.
 */
const model = buildModel({
  opset: 13,
  inputs: [
    { name: "size", type: "int64", shape: [1] },
    { name: "row", type: "float32", shape: [3] },
  ],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [
    { op: "Concat", inputs: ["size", "one_three"], outputs: ["target"], attrs: { axis: 0 } },
    { op: "Expand", inputs: ["row", "target"], outputs: ["rows"] },
    { op: "Squeeze", inputs: ["rows"], outputs: ["y"] },
  ],
  initializers: [initializer("one_three", [1, 3], [2], "int64")],
});

test("OnnxSession computes an Expand target from an input's values, so the shape is static downstream", async () => {
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    const row = Float32Array.of(1, -2, 3);
    const two = await session.run({ size: { data: Int32Array.of(2), shape: [1], dtype: "int32" }, row: { data: row, shape: [3] } });
    assert.deepEqual(two.y!.shape, [2, 3]);
    assert.deepEqual(Array.from(two.y!.data as Float32Array), [1, -2, 3, 1, -2, 3]);
    const one = await session.run({ size: { data: Int32Array.of(1), shape: [1], dtype: "int32" }, row: { data: row, shape: [3] } });
    assert.deepEqual(one.y!.shape, [3]);
  } finally {
    session.dispose();
  }
});

test("a plain import keeps an Expand target computed at run time, and names why Squeeze cannot plan", () => {
  assert.throws(() => importOnnx(model), /Squeeze.*squeezing every size-1 dim needs a static shape/);
});
