import assert from "node:assert/strict";
import { test } from "node:test";
import { OutOfMemoryError } from "@polychip/hal";
import { importOnnx } from "./importer.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";

// A model of a few dozen bytes that expands a scalar to [1e8, 4]: 1.6 GB of float32.
const expandBomb = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: [] }],
  outputs: [{ name: "y", type: "float32" }],
  nodes: [{ op: "Expand", inputs: ["x", "s"], outputs: ["y"] }],
  initializers: [initializer("s", [1e8, 4], [2], "int64")],
});

test("a tiny model planning a 1.6 GB tensor is refused at import, fast, naming the node and the size", () => {
  assert.ok(expandBomb.length < 200, `the model is ${expandBomb.length} bytes`);
  const started = performance.now();
  assert.throws(
    () => importOnnx(expandBomb),
    (e: Error) =>
      e instanceof OutOfMemoryError &&
      /Expand_0.*'y'.*float32\[100000000, 4\] = 1\.60 GB \(1600000000 bytes\), over the 1\.07 GB \(1073741824 bytes\) budget/.test(e.message),
  );
  assert.ok(performance.now() - started < 1000);
});

test("the budget is overridable, per tensor and for the plan's peak", () => {
  assert.equal(importOnnx(expandBomb, { memoryBudget: { tensorBytes: 2e9 } }).outputs[0]!.shape.join(), "100000000,4");
  const chain = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [1000] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Relu", inputs: ["x"], outputs: ["a"] },
      { op: "Neg", inputs: ["a"], outputs: ["y"] },
    ],
  });
  assert.throws(() => importOnnx(chain, { memoryBudget: { tensorBytes: 3999 } }), OutOfMemoryError);
  // Peak: a (4 KB) and y (4 KB) are alive together.
  assert.doesNotThrow(() => importOnnx(chain, { memoryBudget: { planBytes: 8000 } }));
  assert.throws(
    () => importOnnx(chain, { memoryBudget: { planBytes: 7999 } }),
    (e: Error) => e instanceof OutOfMemoryError && /Neg_1.*8000 bytes at once/.test(e.message),
  );
});
