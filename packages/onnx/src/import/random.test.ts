import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel } from "../testing/model-builder.ts";

test("RandomNormalLike takes its input's shape and draws N(mean, scale) from the seed", async () => {
  const model = buildModel({
    opset: 15,
    inputs: [{ name: "x", type: "float32", shape: [1, "n"] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "RandomNormalLike", inputs: ["x"], outputs: ["y"], attrs: { mean: { float: 3 }, scale: 0.5, seed: { float: 7 } } }],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  const got = await session.run({ x: { data: new Float32Array(4000), shape: [1, 4000] } });
  assert.deepEqual(got.y!.shape, [1, 4000]);
  const values = Array.from(got.y!.data);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  assert.ok(Math.abs(mean - 3) < 0.05 && Math.abs(std - 0.5) < 0.05, `mean ${mean}, std ${std}`);
  // The same seed gives the same numbers in another session.
  const again = await (await OnnxSession.create(model, { device: "cpu" })).run({ x: { data: new Float32Array(4000), shape: [1, 4000] } });
  assert.deepEqual(Array.from(again.y!.data), values);
});

test("RandomUniform (shape attribute) stays in [low, high); noise scaled by 0 vanishes", async () => {
  const model = buildModel({
    opset: 15,
    inputs: [{ name: "s", type: "float32", shape: [] }],
    outputs: [
      { name: "u", type: "float32" },
      { name: "z", type: "float32" },
    ],
    nodes: [
      { op: "RandomUniform", inputs: [], outputs: ["u"], attrs: { shape: [3, 100], low: { float: -2 }, high: { float: 1 } } },
      { op: "RandomUniformLike", inputs: ["u"], outputs: ["noise"] },
      { op: "Mul", inputs: ["noise", "s"], outputs: ["z"] },
    ],
  });
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run({ s: { data: [0], shape: [] } });
  assert.deepEqual(got.u!.shape, [3, 100]);
  assert.ok(got.u!.data.every((v) => v >= -2 && v < 1));
  assert.ok(new Set(got.u!.data).size > 250, "draws differ");
  assert.ok(got.z!.data.every((v) => v === 0));
});

test("RandomNormalLike refuses a non-float dtype", async () => {
  const model = buildModel({
    opset: 15,
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: "int32" }],
    nodes: [{ op: "RandomNormalLike", inputs: ["x"], outputs: ["y"], attrs: { dtype: 6 } }],
  });
  await assert.rejects((await OnnxSession.create(model, { device: "cpu" })).run({ x: { data: [1, 2], shape: [2] } }), /must be a float type, got int32/);
});
