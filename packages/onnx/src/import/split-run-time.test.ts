import assert from "node:assert/strict";
import { test } from "node:test";
import { createSession } from "@polychip/engine/runtime";
import "@polychip/devices";
import { buildModel } from "../testing/model-builder.ts";
import { importOnnx } from "./importer.ts";

/**
 * Split into equal parts of a dim known only at run time: one imported graph sizes the parts
 * from the actual dim on every run (ceil(dim / n) each, the last one smaller, as Split-18 says).
 */
const model = buildModel({
  opset: 18,
  inputs: [{ name: "x", type: "float32", shape: ["n", 2] }],
  outputs: [
    { name: "a", type: "float32" },
    { name: "b", type: "float32" },
  ],
  nodes: [{ op: "Split", inputs: ["x"], outputs: ["a", "b"], attrs: { axis: 0, num_outputs: 2 } }],
});

test("Split into equal parts of a symbolic dim runs at an even and an odd size", async () => {
  const session = await createSession(importOnnx(model), { device: "cpu" });
  try {
    const rows = (n: number) => Float32Array.from({ length: 2 * n }, (_, i) => i);
    const even = await session.run({ x: { data: rows(4), shape: [4, 2] } });
    assert.deepEqual(
      [even.a!.shape, even.b!.shape],
      [
        [2, 2],
        [2, 2],
      ],
    );
    assert.deepEqual(Array.from(even.b!.data as Float32Array), [4, 5, 6, 7]);
    const odd = await session.run({ x: { data: rows(5), shape: [5, 2] } });
    assert.deepEqual(
      [odd.a!.shape, odd.b!.shape],
      [
        [3, 2],
        [2, 2],
      ],
    );
    assert.deepEqual(Array.from(odd.a!.data as Float32Array), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(Array.from(odd.b!.data as Float32Array), [6, 7, 8, 9]);
  } finally {
    session.dispose();
  }
});
