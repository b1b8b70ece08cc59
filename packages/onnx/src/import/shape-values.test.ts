import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx } from "./importer.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";

const f32 = (name: string, shape: (number | string)[]) => ({ name, type: "float32" as const, shape });

test("a batched MatMul against a 2-D weight keeps the symbolic leading dims and the static last one", () => {
  const graph = importOnnx(
    buildModel({
      opset: 16,
      inputs: [f32("x", ["batch", "seq", 4])],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [{ op: "MatMul", inputs: ["x", "w"], outputs: ["y"] }],
      initializers: [
        initializer(
          "w",
          Array.from({ length: 12 }, (_, i) => i),
          [4, 3],
        ),
      ],
    }),
  );
  assert.deepEqual(graph.outputs[0]!.shape, ["batch", "seq", 3]);
});

test("two products of one symbolic input concatenate on their last dim (their leading dims are the same symbols)", () => {
  const graph = importOnnx(
    buildModel({
      opset: 16,
      inputs: [f32("x", ["batch", "seq", 4])],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [
        { op: "MatMul", inputs: ["x", "w1"], outputs: ["a"] },
        { op: "MatMul", inputs: ["x", "w2"], outputs: ["b"] },
        { op: "Concat", inputs: ["a", "b"], outputs: ["y"], attrs: { axis: 2 } },
      ],
      initializers: [initializer("w1", new Array(8).fill(1), [4, 2]), initializer("w2", new Array(12).fill(2), [4, 3])],
    }),
  );
  assert.deepEqual(graph.outputs[0]!.shape, ["batch", "seq", 5]);
});

test("Shape → Slice → Concat → Reshape gives the reshape the symbols the chain computes", () => {
  const graph = importOnnx(
    buildModel({
      opset: 16,
      inputs: [f32("x", ["batch", "seq", 6])],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Slice", inputs: ["s", "zero", "two"], outputs: ["lead"] },
        { op: "Concat", inputs: ["lead", "split"], outputs: ["target"], attrs: { axis: 0 } },
        { op: "Reshape", inputs: ["x", "target"], outputs: ["y"] },
      ],
      initializers: [initializer("zero", [0], [1], "int64"), initializer("two", [2], [1], "int64"), initializer("split", [2, 3], [2], "int64")],
    }),
  );
  assert.deepEqual(graph.outputs[0]!.shape, ["batch", "seq", 2, 3]);
});

test("a target with -1 computed at run time stays with the runtime (its dims unknown at import)", () => {
  const graph = importOnnx(
    buildModel({
      opset: 16,
      inputs: [f32("x", ["batch", 6])],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Gather", inputs: ["s", "first"], outputs: ["b"], attrs: { axis: 0 } },
        { op: "Concat", inputs: ["b", "minusOne"], outputs: ["target"], attrs: { axis: 0 } },
        { op: "Reshape", inputs: ["x", "target"], outputs: ["y"] },
      ],
      initializers: [initializer("first", [0], [1], "int64"), initializer("minusOne", [-1], [1], "int64")],
    }),
  );
  const shape = graph.outputs[0]!.shape;
  assert.equal(shape.length, 2);
  assert.ok(
    shape.every((d) => typeof d === "string" && d.startsWith("?")),
    JSON.stringify(shape),
  );
});

test("a shape check the import cannot prove names the symbolic dims, never the placeholder sizes it tried", () => {
  const model = buildModel({
    opset: 13,
    inputs: [f32("x", ["n"]), { name: "t", type: "int64", shape: [1] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Reshape", inputs: ["x", "t"], outputs: ["flat"] },
      { op: "Add", inputs: ["x", "flat"], outputs: ["y"] },
    ],
  });
  assert.throws(
    () => importOnnx(model),
    (e: Error) =>
      e.name === "ShapeError" && /shapes \[n\] and \[\?\d+\]/.test(e.message) && /cannot prove them equal/.test(e.message) && !/\d{6,}/.test(e.message),
  );
});
