import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { execute } from "@polychip/engine/runtime";
import { importOnnx } from "./importer.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

/**
 * fixtures/pytorch/shape-values.onnx (scripts/export-pytorch-shape-values.py): torch.onnx.export's
 * own shape arithmetic (expand(-1, …), new_zeros(x.shape), x[:, : x.shape[1] - 1],
 * view(x.shape[0], -1, x.shape[2] // 2), and a slice end from a static dim) over dynamic axes.
 */
const model = new Uint8Array(readFileSync(new URL("../../fixtures/pytorch/shape-values.onnx", import.meta.url)));
const skip = ort ? false : "onnxruntime-node is not installed";
const ramp = (shape: number[]) => ({ data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i) * 3), shape });

test("a plain import of torch's exported shape arithmetic gives symbolic output shapes, not fresh unknowns", () => {
  const shapes = Object.fromEntries(importOnnx(model).outputs.map((o) => [o.name, o.shape]));
  assert.deepEqual(shapes.expanded, ["batch", 1, 4]);
  assert.deepEqual(shapes.zeros, ["batch", "seq", "width"]);
  assert.deepEqual(shapes.first, ["batch", 3]);
  // seq - 1 and width // 2 are sizes only the run knows; the symbols around them stay.
  assert.deepEqual([shapes.head![0], shapes.head![2]], ["batch", "width"]);
  assert.equal(shapes.halves![0], "batch");
});

test("torch's exported shape arithmetic runs like onnxruntime at two sizes", { skip }, async () => {
  const graph = importOnnx(model);
  for (const [b, s, w] of [
    [2, 3, 4],
    [3, 5, 6],
  ]) {
    const feeds = { x: ramp([b!, s!, w!]), token: ramp([1, 1, 4]), y: ramp([b!, 6]) };
    const got = await execute(graph, feeds, { device: "cpu" });
    await expectLikeOnnxruntime(model, Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, { ...f, type: "float32" as const }])), got);
  }
});
