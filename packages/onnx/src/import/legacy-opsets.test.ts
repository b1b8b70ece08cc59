import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { importOnnx } from "./importer.ts";
import { buildModel, initializer, type ModelSpec } from "../testing/model-builder.ts";
import { rounded, runOnnx, type Feed } from "../testing/run-model.ts";

/** Hand-written models for the ops whose meaning changed before opset 7 (or 9 for BatchNormalization's spatial). */
const f32 = (name: string, shape: (number | string)[]) => ({ name, type: "float32" as const, shape });
const range = (n: number, scale = 1) => Array.from({ length: n }, (_, i) => i * scale);

async function run(spec: Omit<ModelSpec, "outputs"> & { outputs?: ModelSpec["outputs"] }, feeds: Record<string, Feed>): Promise<number[]> {
  const model = buildModel({ outputs: [{ name: "y", type: "float32" }], ...spec });
  return rounded((await runOnnx(model, feeds)).y!.data);
}

test("Add-6 with broadcast=1 and axis lines B up from that axis", async () => {
  const y = await run(
    {
      opset: 6,
      inputs: [f32("a", [2, 3, 2])],
      nodes: [{ op: "Add", inputs: ["a", "b"], outputs: ["y"], attrs: { broadcast: 1, axis: 1 } }],
      initializers: [initializer("b", [10, 20, 30], [3])],
    },
    { a: { data: new Array(12).fill(0), shape: [2, 3, 2] } },
  );
  assert.deepEqual(y, [10, 10, 20, 20, 30, 30, 10, 10, 20, 20, 30, 30]);
});

test("Mul-6 with broadcast=1 and no axis matches the suffix", async () => {
  const y = await run(
    {
      opset: 6,
      inputs: [f32("a", [2, 2])],
      nodes: [{ op: "Mul", inputs: ["a", "b"], outputs: ["y"], attrs: { broadcast: 1 } }],
      initializers: [initializer("b", [2, 3], [2])],
    },
    { a: { data: [1, 1, 1, 1], shape: [2, 2] } },
  );
  assert.deepEqual(y, [2, 3, 2, 3]);
});

test("Sub-6 without broadcast=1 refuses operands of different shapes", () => {
  const model = buildModel({
    opset: 6,
    inputs: [f32("a", [2, 2])],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "Sub", inputs: ["a", "b"], outputs: ["y"] }],
    initializers: [initializer("b", [1, 2], [2])],
  });
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e instanceof ShapeError && /without broadcast=1 \(opset 6\)/.test(e.message),
  );
});

test("BatchNormalization-7 with spatial=0 normalises per activation", async () => {
  const stats = (values: number[]) => initializer("", values, [2, 2]);
  const named = (name: string, values: number[]) => ({ ...stats(values), name });
  const y = await run(
    {
      opset: 7,
      inputs: [f32("x", [1, 2, 2])],
      nodes: [{ op: "BatchNormalization", inputs: ["x", "s", "b", "m", "v"], outputs: ["y"], attrs: { spatial: 0, epsilon: { float: 0 } } }],
      initializers: [named("s", [1, 2, 3, 4]), named("b", [0, 0, 0, 1]), named("m", [1, 1, 2, 2]), named("v", [1, 4, 1, 4])],
    },
    { x: { data: [2, 3, 4, 6], shape: [1, 2, 2] } },
  );
  // (x - m) / sqrt(v) * s + b, element by element.
  assert.deepEqual(y, [1, 2, 6, 9]);
});

test("BatchNormalization-6 with is_test and consumed_inputs-1 forms runs in inference mode", async () => {
  const forms: [number, Record<string, number | number[]>][] = [
    [6, { is_test: 1 }],
    [1, { is_test: 1, consumed_inputs: [0, 0, 0, 1, 1] }],
  ];
  for (const [opset, attrs] of forms) {
    const y = await run(
      {
        opset,
        inputs: [f32("x", [1, 2, 1, 1])],
        nodes: [{ op: "BatchNormalization", inputs: ["x", "s", "b", "m", "v"], outputs: ["y"], attrs }],
        initializers: [initializer("s", [1, 1], [2]), initializer("b", [0, 0], [2]), initializer("m", [1, 2], [2]), initializer("v", [1, 1], [2])],
      },
      { x: { data: [3, 3], shape: [1, 2, 1, 1] } },
    );
    assert.deepEqual(
      y.map((v) => Number(v.toFixed(3))),
      [2, 1],
    );
  }
});

test("Cast-1 names its target type as a string", async () => {
  const model = buildModel({
    opset: 1,
    inputs: [f32("x", [3])],
    outputs: [{ name: "y", type: "int32" }],
    nodes: [{ op: "Cast", inputs: ["x"], outputs: ["y"], attrs: { to: "INT32" } }],
  });
  const out = await runOnnx(model, { x: { data: [1.7, -2.2, 3], shape: [3] } });
  assert.equal(out.y!.dtype, "int32");
  assert.deepEqual(Array.from(out.y!.data), [1, -2, 3]);
});

test("Concat-1 without axis concatenates on axis 1", async () => {
  const y = await run(
    { opset: 1, inputs: [f32("a", [1, 2]), f32("b", [1, 1])], nodes: [{ op: "Concat", inputs: ["a", "b"], outputs: ["y"] }] },
    { a: { data: [1, 2], shape: [1, 2] }, b: { data: [3], shape: [1, 1] } },
  );
  assert.deepEqual(y, [1, 2, 3]);
});

test("Split-1 takes its sizes from the optional second input", async () => {
  const model = buildModel({
    opset: 1,
    inputs: [f32("x", [5])],
    outputs: [
      { name: "p", type: "float32" },
      { name: "q", type: "float32" },
    ],
    nodes: [{ op: "Split", inputs: ["x", "sizes"], outputs: ["p", "q"], attrs: { axis: 0 } }],
    initializers: [initializer("sizes", [2, 3], [2], "int64")],
  });
  const out = await runOnnx(model, { x: { data: range(5), shape: [5] } });
  assert.deepEqual(Array.from(out.p!.data), [0, 1]);
  assert.deepEqual(Array.from(out.q!.data), [2, 3, 4]);
});

test("Tile-1 repeats along one axis given as inputs", async () => {
  const y = await run(
    {
      opset: 1,
      inputs: [f32("x", [2, 2])],
      nodes: [{ op: "Tile", inputs: ["x", "tiles", "axis"], outputs: ["y"] }],
      initializers: [initializer("tiles", [2], [1], "int64"), initializer("axis", [1], [1], "int64")],
    },
    { x: { data: [1, 2, 3, 4], shape: [2, 2] } },
  );
  assert.deepEqual(y, [1, 2, 1, 2, 3, 4, 3, 4]);
});

test("Upsample-1 reads height_scale/width_scale", async () => {
  const y = await run(
    {
      opset: 1,
      inputs: [f32("x", [1, 1, 1, 2])],
      nodes: [{ op: "Upsample", inputs: ["x"], outputs: ["y"], attrs: { height_scale: { float: 2 }, width_scale: { float: 2 }, mode: "nearest" } }],
    },
    { x: { data: [1, 2], shape: [1, 1, 1, 2] } },
  );
  assert.deepEqual(y, [1, 1, 2, 2, 1, 1, 2, 2]);
});

test("PRelu-6 applies a [C] slope per channel", async () => {
  const y = await run(
    {
      opset: 6,
      inputs: [f32("x", [1, 2, 1, 2])],
      nodes: [{ op: "PRelu", inputs: ["x", "slope"], outputs: ["y"] }],
      initializers: [initializer("slope", [0.5, 0.25], [2])],
    },
    { x: { data: [-4, 4, -4, 4], shape: [1, 2, 1, 2] } },
  );
  assert.deepEqual(y, [-2, 4, -1, 4]);
});

test("Selu-1 uses its own rounded defaults", async () => {
  const y = await run({ opset: 1, inputs: [f32("x", [1])], nodes: [{ op: "Selu", inputs: ["x"], outputs: ["y"] }] }, { x: { data: [-1], shape: [1] } });
  assert.deepEqual(y, [Number((1.0507 * (1.6732 * Math.exp(-1) - 1.6732)).toFixed(5))]);
});

test("Reshape-1 reads its target from the shape attribute; Dropout-6 with is_test is the identity", async () => {
  const model = buildModel({
    opset: 1,
    inputs: [f32("x", [2, 3])],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Reshape", inputs: ["x"], outputs: ["r"], attrs: { shape: [3, 2], consumed_inputs: [0] } },
      { op: "Dropout", inputs: ["r"], outputs: ["y"], attrs: { is_test: 1, ratio: { float: 0.5 } } },
    ],
  });
  const out = await runOnnx(model, { x: { data: range(6), shape: [2, 3] } });
  assert.deepEqual(out.y!.shape, [3, 2]);
  assert.deepEqual(Array.from(out.y!.data), range(6));
});
