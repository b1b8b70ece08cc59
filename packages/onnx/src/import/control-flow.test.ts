import assert from "node:assert/strict";
import { test } from "node:test";
import { UnsupportedOpError } from "@polychip/hal";
import { importOnnx } from "./importer.ts";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer, type GraphSpec } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

const skip = ort ? false : "onnxruntime-node is not installed";
const f32 = (name: string, shape: (number | string)[] = []) => ({ name, type: "float32" as const, shape });
/** An output whose shape is left undeclared. */
const out32 = (name: string) => ({ name, type: "float32" as const });

async function runBoth(model: Uint8Array, cases: Float32Array[], shapes: number[][]): Promise<OnnxSession> {
  const session = await OnnxSession.create(model, { device: "cpu" });
  for (const [k, x] of cases.entries()) {
    const got = await session.run({ x: { data: x, shape: shapes[k]! } });
    await expectLikeOnnxruntime(model, { x: { data: x, shape: shapes[k]!, type: "float32" } }, got);
  }
  return session;
}

// If on the data: doubles x when its sum is positive, negates it otherwise (both branches read x from the outer scope).
const dataIf = buildModel({
  opset: 13,
  inputs: [f32("x", ["n"])],
  outputs: [out32("y")],
  nodes: [
    { op: "ReduceSum", inputs: ["x"], outputs: ["s"], attrs: { keepdims: 0 } },
    { op: "Greater", inputs: ["s", "zero"], outputs: ["positive"] },
    {
      op: "If",
      inputs: ["positive"],
      outputs: ["y"],
      attrs: {
        then_branch: {
          graph: {
            inputs: [],
            outputs: [out32("doubled")],
            nodes: [{ op: "Mul", inputs: ["x", "two"], outputs: ["doubled"] }],
            initializers: [initializer("two", [2], [])],
          },
        },
        else_branch: { graph: { inputs: [], outputs: [out32("negated")], nodes: [{ op: "Neg", inputs: ["x"], outputs: ["negated"] }] } },
      },
    },
  ],
  initializers: [initializer("zero", [0], [])],
});

test("If on a data-dependent condition runs the taken branch per run, with outer-scope values", { skip }, async () => {
  const session = await runBoth(dataIf, [Float32Array.of(1, 2, -0.5), Float32Array.of(-1, 0.25, -3), Float32Array.of(4, 4)], [[3], [3], [2]]);
  session.dispose();
});

test("If on data cannot be imported without the data: the error names the condition", () => {
  assert.throws(
    () => importOnnx(dataIf),
    (e: Error) => e instanceof UnsupportedOpError && /If.*If's condition must be known.*'positive' is computed at run time/.test(e.message),
  );
});

// If on a small flag input (like Silero's sample rate) while the data sits in another input.
const flagIf = buildModel({
  opset: 13,
  inputs: [f32("x", [64]), f32("mode")],
  outputs: [out32("y")],
  nodes: [
    { op: "Greater", inputs: ["mode", "zero"], outputs: ["on"] },
    {
      op: "If",
      inputs: ["on"],
      outputs: ["y"],
      attrs: {
        then_branch: { graph: { inputs: [], outputs: [out32("a")], nodes: [{ op: "Exp", inputs: ["x"], outputs: ["a"] }] } },
        else_branch: { graph: { inputs: [], outputs: [out32("b")], nodes: [{ op: "Neg", inputs: ["x"], outputs: ["b"] }] } },
      },
    },
  ],
  initializers: [initializer("zero", [0], [])],
});

test("If on a flag input: the condition is kept per flag value, and each run still reads its own data", { skip }, async () => {
  const session = await OnnxSession.create(flagIf, { device: "cpu" });
  for (const [k, mode] of [1, 0, 1, 0, 1].entries()) {
    const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i + k));
    const got = await session.run({ x: { data: x, shape: [64] }, mode: { data: [mode], shape: [] } });
    await expectLikeOnnxruntime(
      flagIf,
      { x: { data: x, shape: [64], type: "float32" }, mode: { data: Float32Array.of(mode), shape: [], type: "float32" } },
      got,
    );
  }
  // One prefix plan for the condition and one plan per branch taken.
  assert.equal(session.planCount, 3);
  session.dispose();
});

// If on a shape: folded once the input's shape is bound; the graph holds only the taken branch.
const shapeIf = buildModel({
  opset: 13,
  inputs: [f32("x", ["n"])],
  outputs: [out32("y")],
  nodes: [
    { op: "Shape", inputs: ["x"], outputs: ["shape"] },
    { op: "Equal", inputs: ["shape", "two"], outputs: ["isTwo"] },
    { op: "Squeeze", inputs: ["isTwo", "axes0"], outputs: ["cond"] },
    {
      op: "If",
      inputs: ["cond"],
      outputs: ["y"],
      attrs: {
        then_branch: { graph: { inputs: [], outputs: [out32("a")], nodes: [{ op: "Exp", inputs: ["x"], outputs: ["a"] }] } },
        else_branch: { graph: { inputs: [], outputs: [out32("b")], nodes: [{ op: "Abs", inputs: ["x"], outputs: ["b"] }] } },
      },
    },
  ],
  initializers: [initializer("two", [2], [1], "int64"), initializer("axes0", [0], [1], "int64")],
});

test("If on a shape folds at import once the shape is known", { skip }, async () => {
  const graph = importOnnx(shapeIf, { inputShapes: { x: [2] } });
  assert.deepEqual(
    graph.nodes.map((n) => n.op).filter((op) => op !== "identity"),
    ["exp"],
  );
  const session = await runBoth(shapeIf, [Float32Array.of(-1, 1), Float32Array.of(-1, 2, -3)], [[2], [3]]);
  assert.equal(session.planCount, 2);
  session.dispose();
});

/** Loop body: acc ← acc·x + i, and each iteration's acc as a scan output. */
const loopBody: GraphSpec = {
  inputs: [{ name: "i", type: "int64", shape: [] }, { name: "cond_in", type: "bool", shape: [] }, out32("acc_in")],
  outputs: [{ name: "cond_out", type: "bool" }, out32("acc_out"), out32("trace")],
  nodes: [
    { op: "Cast", inputs: ["i"], outputs: ["fi"], attrs: { to: 1 } },
    { op: "Mul", inputs: ["acc_in", "x"], outputs: ["scaled"] },
    { op: "Add", inputs: ["scaled", "fi"], outputs: ["acc_out"] },
    { op: "Identity", inputs: ["cond_in"], outputs: ["cond_out"] },
    { op: "Identity", inputs: ["acc_out"], outputs: ["trace"] },
  ],
};

test("Loop with a constant trip count unrolls, with loop-carried and scan outputs", { skip }, async () => {
  const model = buildModel({
    opset: 13,
    inputs: [f32("x", [2])],
    outputs: [out32("acc"), out32("traces")],
    nodes: [{ op: "Loop", inputs: ["trips", "yes", "x"], outputs: ["acc", "traces"], attrs: { body: { graph: loopBody } } }],
    initializers: [initializer("trips", [3], [], "int64"), initializer("yes", [1], [], "bool")],
  });
  (await runBoth(model, [Float32Array.of(0.5, -2)], [[2]])).dispose();
});

test("Loop that runs zero times gives empty scan outputs shaped as one iteration's, as onnxruntime does", { skip }, async () => {
  const declaredTrace: GraphSpec = { ...loopBody, outputs: [...loopBody.outputs.slice(0, 2), f32("trace", [2])] };
  for (const [trips, go] of [
    [0, 1],
    [3, 0],
  ]) {
    const model = buildModel({
      opset: 13,
      inputs: [f32("x", [2])],
      outputs: [out32("acc"), out32("traces")],
      // The trace's shape declared: onnxruntime sizes an empty scan output from it ([0] without it).
      nodes: [{ op: "Loop", inputs: ["trips", "go", "x"], outputs: ["acc", "traces"], attrs: { body: { graph: declaredTrace } } }],
      initializers: [initializer("trips", [trips!], [], "int64"), initializer("go", [go!], [], "bool")],
    });
    const session = await runBoth(model, [Float32Array.of(0.5, -2)], [[2]]);
    const got = await session.run({ x: { data: Float32Array.of(0.5, -2), shape: [2] } });
    assert.deepEqual([got.acc!.shape, Array.from(got.acc!.data), got.traces!.shape], [[2], [0.5, -2], [0, 2]]);
    session.dispose();
  }
});

test("Loop whose trip count comes from the input's shape runs at two sizes", { skip }, async () => {
  const model = buildModel({
    opset: 13,
    inputs: [f32("x", ["n"])],
    outputs: [out32("acc"), out32("traces")],
    nodes: [
      { op: "Shape", inputs: ["x"], outputs: ["shape"] },
      { op: "Gather", inputs: ["shape", "zero"], outputs: ["n"], attrs: { axis: 0 } },
      { op: "Loop", inputs: ["n", "", "x"], outputs: ["acc", "traces"], attrs: { body: { graph: loopBody } } },
    ],
    initializers: [initializer("zero", [0], [], "int64")],
  });
  (await runBoth(model, [Float32Array.of(0.5, -2), Float32Array.of(1, 2, 3, 0.5)], [[2], [4]])).dispose();
});

test("Scan runs a cumulative sum forwards and a reversed input backwards", { skip }, async () => {
  const body: GraphSpec = {
    inputs: [f32("s_in", [2]), f32("x_t", [2]), f32("r_t", [2])],
    outputs: [out32("s_out"), out32("y_t"), out32("z_t")],
    nodes: [
      { op: "Add", inputs: ["s_in", "x_t"], outputs: ["s_out"] },
      { op: "Mul", inputs: ["s_out", "r_t"], outputs: ["y_t"] },
      { op: "Identity", inputs: ["r_t"], outputs: ["z_t"] },
    ],
  };
  const model = buildModel({
    opset: 16,
    inputs: [f32("x", [4, 2])],
    outputs: [out32("s"), out32("ys"), out32("zs")],
    nodes: [
      {
        op: "Scan",
        inputs: ["init", "x", "x"],
        outputs: ["s", "ys", "zs"],
        attrs: { num_scan_inputs: 2, scan_input_directions: [0, 1], scan_output_directions: [0, 1], scan_output_axes: [0, 1], body: { graph: body } },
      },
    ],
    initializers: [initializer("init", [0, 0], [2])],
  });
  (await runBoth(model, [Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8)], [[4, 2]])).dispose();
});
