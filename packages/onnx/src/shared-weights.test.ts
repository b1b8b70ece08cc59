import assert from "node:assert/strict";
import { test } from "node:test";
import { execute, memoryStats } from "@polychip/engine/runtime";
import { importOnnx } from "./import/importer.ts";
import { DataType } from "./proto/types.ts";
import { OnnxSession } from "./session.ts";
import { buildModel, initializer } from "./testing/model-builder.ts";

/**
 * OnnxSession plans once per input-shape signature: the plans share the decoded weights, their
 * folds (an int8 weight dequantized at import) and their device buffers, instead of each holding
 * its own copy.
 */
const K = 256;
const M = 128;
const quantized = Int8Array.from({ length: K * K }, (_, i) => ((i * 37) % 255) - 127);
const model = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: ["n", K] }],
  outputs: [{ name: "y", type: "float32", shape: ["n", M] }],
  nodes: [
    // Per row (axis 0): a dequantisation the importer keeps as a fold, not a matmulDequantized (per tensor or per column).
    { op: "DequantizeLinear", inputs: ["wq", "scale", "zero"], outputs: ["w"], attrs: { axis: 0 } },
    { op: "MatMul", inputs: ["x", "w"], outputs: ["h"] },
    { op: "MatMul", inputs: ["h", "w2"], outputs: ["y"] },
  ],
  initializers: [
    { name: "wq", dims: [K, K], dataType: DataType.INT8, rawData: new Uint8Array(quantized.buffer) },
    { name: "zero", dims: [K], dataType: DataType.INT8, rawData: new Uint8Array(K).fill(3) },
    initializer(
      "scale",
      Array.from({ length: K }, (_, i) => 0.01 + i * 1e-5),
      [K],
    ),
    initializer(
      "w2",
      Array.from({ length: K * M }, (_, i) => Math.sin(i * 0.11) * 0.1),
      [K, M],
    ),
  ],
});
/** The float weights the device holds: the dequantized K×K and the K×M. */
const WEIGHT_BYTES = (K * K + K * M) * 4;

const feeds = (n: number) => ({ x: { data: Float32Array.from({ length: n * K }, (_, i) => Math.cos(i * 0.3)), shape: [n, K] } });
const cpuBytes = () => memoryStats("cpu")[0]?.bytes ?? 0;

test("a second input-shape signature reuses the first plan's weights on the host and on the device", async () => {
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    const before = cpuBytes();
    const first = await session.planFor(feeds(2));
    const afterFirst = cpuBytes();
    assert.ok(afterFirst - before >= WEIGHT_BYTES, `the first plan uploads the weights (${afterFirst - before} bytes)`);
    const second = await session.planFor(feeds(5));
    assert.notEqual(second, first, "a new signature gets its own plan");
    assert.ok(cpuBytes() - afterFirst < WEIGHT_BYTES / 4, `the second plan uploads no weight copy (${cpuBytes() - afterFirst} bytes more)`);
    const weights = (plan: typeof first) => plan.graph.initializers.filter((t) => t.data.length >= K * M).map((t) => t.data);
    assert.equal(weights(first).length, 2, "both weights are initializers of the plan");
    assert.deepEqual(new Set(weights(second)), new Set(weights(first)), "the plans hold the same host arrays");
  } finally {
    session.dispose();
  }
});

test("disposing the session frees the weights its plans shared", async () => {
  const before = cpuBytes();
  const session = await OnnxSession.create(model, { device: "cpu" });
  for (const n of [1, 2, 3]) await session.run(feeds(n));
  assert.ok(cpuBytes() - before >= WEIGHT_BYTES);
  session.dispose();
  assert.equal(cpuBytes(), before);
});

test("a dropped plan leaves the shared weights to the plans still kept, and a later plan uploads them again", async () => {
  const before = cpuBytes();
  const session = await OnnxSession.create(model, { device: "cpu", maxPlans: 1 });
  try {
    for (const n of [1, 2, 3, 2]) {
      const got = await session.run(feeds(n));
      const want = await execute(importOnnx(model, { inputShapes: { x: [n, K] } }), feeds(n), { device: "cpu" });
      assert.deepEqual(Array.from(got.y!.data), Array.from(want.y!.data), `n = ${n}: the same values as an import of its own`);
      assert.equal(session.planCount, 1);
      assert.ok(cpuBytes() - before < 2 * WEIGHT_BYTES, `n = ${n}: one copy of the weights is held (${cpuBytes() - before} bytes)`);
    }
  } finally {
    session.dispose();
  }
  assert.equal(cpuBytes(), before);
});
