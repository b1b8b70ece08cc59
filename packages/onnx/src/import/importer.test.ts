import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError, FormatError, UnsupportedOpError } from "@polychip/hal";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { rounded, runOnnx } from "../testing/run-model.ts";
import { failingNode, importOnnx } from "./importer.ts";

const x23 = { data: [1, 2, 3, 4, 5, 6], shape: [2, 3] };

function softmaxModel(opset: number, axis?: number) {
  return buildModel({
    opset,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Softmax", inputs: ["x"], outputs: ["y"], attrs: axis === undefined ? {} : { axis } }],
  });
}

test("Softmax before opset 13 coerces to 2-D at axis (default 1); from 13 it is per axis (default -1)", async () => {
  const x = { data: [0, 1, 2, 3, 4, 5], shape: [1, 2, 3] };
  const model = (opset: number, axis: number) =>
    buildModel({
      opset,
      inputs: [{ name: "x", type: "float32", shape: [1, 2, 3] }],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [{ op: "Softmax", inputs: ["x"], outputs: ["y"], attrs: { axis } }],
    });
  const old = (await runOnnx(model(11, 1), { x })).y!;
  const now = (await runOnnx(model(13, 1), { x })).y!;
  // Opset 11: one softmax over all 6 values; opset 13: softmax over dim 1 (pairs).
  assert.equal(
    Number(
      Array.from(old.data)
        .reduce((a, b) => a + b, 0)
        .toFixed(5),
    ),
    1,
  );
  assert.deepEqual(rounded(Array.from(now.data).slice(0, 1)), rounded([1 / (1 + Math.exp(3))]));
  const defaults = (await runOnnx(softmaxModel(13), { x: x23 })).y!;
  assert.deepEqual(
    rounded(
      Array.from(defaults.data)
        .slice(0, 3)
        .map((v) => v),
    ),
    rounded([0.09003, 0.24473, 0.66524]),
  );
});

test("Reshape reads its shape from an initializer, with 0 copying and -1 inferring a dim", async () => {
  const bytes = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Reshape", inputs: ["x", "s"], outputs: ["y"] }],
    initializers: [initializer("s", [0, -1, 1], [3], "int64")],
  });
  const y = (await runOnnx(bytes, { x: x23 })).y!;
  assert.deepEqual(y.shape, [2, 3, 1]);
});

test("Slice uses attributes before opset 10 and inputs after; INT64_MAX ends mean 'to the end'", async () => {
  const old = buildModel({
    opset: 9,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Slice", inputs: ["x"], outputs: ["y"], attrs: { starts: [1], ends: [3], axes: [1] } }],
  });
  assert.deepEqual(Array.from((await runOnnx(old, { x: x23 })).y!.data), [2, 3, 5, 6]);
  const now = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Slice", inputs: ["x", "s", "e", "a"], outputs: ["y"] }],
    initializers: [initializer("s", [1], [1], "int64"), initializer("e", [Number.MAX_SAFE_INTEGER], [1], "int64"), initializer("a", [1], [1], "int64")],
  });
  assert.deepEqual(Array.from((await runOnnx(now, { x: x23 })).y!.data), [2, 3, 5, 6]);
});

test("Squeeze and Unsqueeze take axes as attributes before opset 13 and as inputs from 13", async () => {
  const attr = buildModel({
    opset: 11,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Unsqueeze", inputs: ["x"], outputs: ["y"], attrs: { axes: [0, 3] } }],
  });
  assert.deepEqual((await runOnnx(attr, { x: x23 })).y!.shape, [1, 2, 3, 1]);
  const input = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [1, 2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Squeeze", inputs: ["x", "a"], outputs: ["y"] }],
    initializers: [initializer("a", [0], [1], "int64")],
  });
  assert.deepEqual((await runOnnx(input, { x: { data: x23.data, shape: [1, 2, 3] } })).y!.shape, [2, 3]);
});

test("Clip bounds are attributes before opset 11 and optional inputs after", async () => {
  const old = buildModel({
    opset: 6 + 1,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Clip", inputs: ["x"], outputs: ["y"], attrs: { min: { float: 2 }, max: { float: 4 } } }],
  });
  assert.deepEqual(Array.from((await runOnnx(old, { x: x23 })).y!.data), [2, 2, 3, 4, 4, 4]);
  const onlyMax = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Clip", inputs: ["x", "", "hi"], outputs: ["y"] }],
    initializers: [initializer("hi", [3], [])],
  });
  assert.deepEqual(Array.from((await runOnnx(onlyMax, { x: x23 })).y!.data), [1, 2, 3, 3, 3, 3]);
});

test("ReduceSum axes move from attribute (opset 11) to input (opset 13), with noop_with_empty_axes", async () => {
  const attr = buildModel({
    opset: 11,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "ReduceSum", inputs: ["x"], outputs: ["y"], attrs: { axes: [1], keepdims: 0 } }],
  });
  assert.deepEqual(Array.from((await runOnnx(attr, { x: x23 })).y!.data), [6, 15]);
  const noop = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "ReduceSum", inputs: ["x"], outputs: ["y"], attrs: { noop_with_empty_axes: 1 } }],
  });
  assert.deepEqual(Array.from((await runOnnx(noop, { x: x23 })).y!.data), x23.data);
});

test("Split gives several outputs: sizes as attribute (opset 11) or equal parts", async () => {
  const bytes = buildModel({
    opset: 11,
    inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
    outputs: [
      { name: "a", type: "float32" },
      { name: "b", type: "float32" },
    ],
    nodes: [{ op: "Split", inputs: ["x"], outputs: ["a", "b"], attrs: { axis: 1, split: [1, 2] } }],
  });
  const out = await runOnnx(bytes, { x: x23 });
  assert.deepEqual(
    [Array.from(out.a!.data), Array.from(out.b!.data)],
    [
      [1, 4],
      [2, 3, 5, 6],
    ],
  );
});

test("BatchNormalization in inference mode uses the stored statistics", async () => {
  const bytes = buildModel({
    opset: 15,
    inputs: [{ name: "x", type: "float32", shape: [1, 2, 1, 1] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "BatchNormalization", inputs: ["x", "s", "b", "m", "v"], outputs: ["y"], attrs: { epsilon: { float: 0 } } }],
    initializers: [initializer("s", [2, 1], [2]), initializer("b", [1, 0], [2]), initializer("m", [1, 2], [2]), initializer("v", [4, 1], [2])],
  });
  assert.deepEqual(Array.from((await runOnnx(bytes, { x: { data: [3, 3], shape: [1, 2, 1, 1] } })).y!.data), [3, 1]);
});

test("Constant nodes and Shape of a static value fold away at import", () => {
  const graph = importOnnx(
    buildModel({
      opset: 13,
      inputs: [{ name: "x", type: "float32", shape: [2, 3] }],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Constant", inputs: [], outputs: ["c"], attrs: { value_ints: [-1] } },
        { op: "Concat", inputs: ["c", "s"], outputs: ["t"], attrs: { axis: 0 } },
        { op: "Reshape", inputs: ["x", "t"], outputs: ["y"] },
      ],
    }),
  );
  assert.deepEqual(
    graph.nodes.map((n) => n.op),
    ["reshape"],
  );
  assert.deepEqual(graph.nodes[0]!.attrs.shape, [1, 2, 3]);
});

test("symbolic input dims survive into the graph and run with any batch", async () => {
  const bytes = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: ["N", 3] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "MatMul", inputs: ["x", "w"], outputs: ["h"] },
      { op: "Relu", inputs: ["h"], outputs: ["y"] },
    ],
    initializers: [initializer("w", [1, -1, 1, -1, 1, -1], [3, 2])],
  });
  assert.deepEqual(importOnnx(bytes).inputs[0]!.shape, ["N", 3]);
  assert.deepEqual(Array.from((await runOnnx(bytes, { x: { data: [1, 1, 1, 2, 0, 0, 0, 0, 5], shape: [3, 3] } })).y!.data), [3, 0, 2, 0, 5, 0]);
});

test("an unknown op is an UnsupportedOpError naming the op, its domain, opset and node", () => {
  const bytes = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "FancyOp", inputs: ["x"], outputs: ["y"], name: "my_node" }],
  });
  assert.throws(
    () => importOnnx(bytes),
    (e: Error) => {
      assert.ok(e instanceof UnsupportedOpError);
      assert.match(e.message, /'my_node'.*FancyOp, opset 13/);
      assert.equal(failingNode(e)?.opType, "FancyOp");
      return true;
    },
  );
  const custom = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Relu", inputs: ["x"], outputs: ["y"], domain: "com.example" }],
  });
  assert.throws(() => importOnnx(custom), /domain 'com.example'/);
});

test("int64 initializers beyond int32 are refused when used as data", () => {
  const big = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "int64", shape: [1] }],
    outputs: [{ name: "y", type: "int64" }],
    nodes: [{ op: "Add", inputs: ["x", "c"], outputs: ["y"] }],
    initializers: [initializer("c", [2 ** 40], [1], "int64")],
  });
  assert.throws(() => importOnnx(big), DTypeError);
});

test("a node reading a value nobody produces is a FormatError", () => {
  const bytes = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [1] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Add", inputs: ["x", "ghost"], outputs: ["y"] }],
  });
  assert.throws(
    () => importOnnx(bytes),
    (e: Error) => e instanceof FormatError && /ghost/.test(e.message),
  );
});

test("a graph input fed to a shape-like operand can be frozen through resolveInput", async () => {
  const bytes = buildModel({
    opset: 13,
    inputs: [
      { name: "x", type: "float32", shape: [2, 3] },
      { name: "r", type: "int64", shape: [2] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Tile", inputs: ["x", "r"], outputs: ["y"] }],
  });
  assert.throws(
    () => importOnnx(bytes),
    (e: Error) => e instanceof UnsupportedOpError && /repeats/.test(e.message),
  );
  const y = (await runOnnx(bytes, { x: x23 }, { resolveInput: (n) => (n === "r" ? { dtype: "int32", shape: [2], data: Int32Array.of(1, 2) } : undefined) })).y!;
  assert.deepEqual(y.shape, [2, 6]);
});
