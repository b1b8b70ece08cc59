import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { importOnnx } from "./importer.ts";
import { RunTimeValueError } from "./context.ts";
import { MAX_BRANCH_WORK } from "./ops/if-select.ts";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer, type GraphSpec, type NodeSpec } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

/**
 * An If on a condition computed from a large input, with small branches that cannot fail, runs as
 * both branches and a `where` (import/ops/if-select.ts); anything else keeps the per-run path.
 */

const skip = ort ? false : "onnxruntime-node is not installed";
const WIDTH = 96;
const f32 = (name: string, shape: number[]) => ({ name, type: "float32" as const, shape });
const out32 = (name: string) => ({ name, type: "float32" as const });
const branch = (output: string, nodes: NodeSpec[], initializers: GraphSpec["initializers"] = []): { graph: GraphSpec } => ({
  graph: { inputs: [], outputs: [out32(output)], nodes, initializers },
});
const ramp = (n: number, scale: number, phase: number) => Array.from({ length: n }, (_, i) => scale * Math.sin(0.37 * i + phase));
const ifOnSum = (thenBranch: { graph: GraphSpec }, elseBranch: { graph: GraphSpec }, width = WIDTH) =>
  buildModel({
    opset: 13,
    inputs: [f32("x", [1, width])],
    outputs: [out32("y")],
    nodes: [
      { op: "ReduceSum", inputs: ["x"], outputs: ["sum"], attrs: { keepdims: 0 } },
      { op: "Greater", inputs: ["sum", "zero"], outputs: ["positive"] },
      { op: "If", inputs: ["positive"], outputs: ["y"], attrs: { then_branch: thenBranch, else_branch: elseBranch } },
    ],
    initializers: [initializer("zero", [0], [])],
  });
/** Inputs whose sums are positive (then) and negative (else), each with values of both signs. */
const positive = Float32Array.from(ramp(WIDTH, 1, 0), (v) => v + 0.25);
const negative = Float32Array.from(ramp(WIDTH, 1, 1), (v) => v - 0.25);
const feed = (x: Float32Array) => ({ x: { data: x, shape: [1, WIDTH] } });

// openWakeWord's hey_jarvis pattern: a head's score; over 0.5 a verifier head scores again, else the first score stands.
const head = (prefix: string, from: string, out: string): NodeSpec[] => [
  { op: "Gemm", inputs: [from, `${prefix}_w`, `${prefix}_b`], outputs: [`${prefix}_z`], attrs: { transB: 1 } },
  { op: "Sigmoid", inputs: [`${prefix}_z`], outputs: [out] },
];
const firstWeights = ramp(WIDTH, 0.01, 0.3).map((v) => v + 0.05);
/** The first head's score, by hand. */
const firstScore = (x: Float32Array) => 1 / (1 + Math.exp(-x.reduce((z, v, i) => z + v * firstWeights[i]!, 0.1)));
const verifiedHead = buildModel({
  opset: 13,
  inputs: [f32("x", [1, WIDTH])],
  outputs: [out32("y")],
  nodes: [
    ...head("first", "x", "score"),
    { op: "GreaterOrEqual", inputs: ["score", "half"], outputs: ["high"] },
    { op: "Cast", inputs: ["high"], outputs: ["cond"], attrs: { to: 9 } },
    {
      op: "If",
      inputs: ["cond"],
      outputs: ["y"],
      attrs: {
        then_branch: branch("verified", head("verifier", "x", "verified")),
        else_branch: branch("kept", [{ op: "Identity", inputs: ["score"], outputs: ["kept"] }]),
      },
    },
  ],
  initializers: [
    initializer("first_w", firstWeights, [1, WIDTH]),
    initializer("first_b", [0.1], [1]),
    initializer("verifier_w", ramp(WIDTH, 0.2, 2), [1, WIDTH]),
    initializer("verifier_b", [-0.2], [1]),
    initializer("half", [0.5], []),
  ],
});

test("an If on a large input's score imports as both branches and one where, with no value needed at import", () => {
  const graph = importOnnx(verifiedHead);
  assert.equal(graph.nodes.filter((n) => n.op === "where").length, 1);
});

test("the verifier pattern runs as one plan and matches onnxruntime on both outcomes", { skip }, async () => {
  const session = await OnnxSession.create(verifiedHead, { device: "cpu" });
  try {
    assert.ok(firstScore(positive) > 0.6 && firstScore(negative) < 0.4, "the inputs take both branches");
    for (const x of [positive, negative, positive]) {
      const got = await session.run(feed(x));
      await expectLikeOnnxruntime(verifiedHead, { x: { data: x, shape: [1, WIDTH], type: "float32" } }, got, 1e-6);
      if (x === negative) assert.ok(Math.abs(got.y!.data[0]! - firstScore(x)) < 1e-6, "a low score stands");
    }
    assert.equal(session.planStats.shapes.imports, 1);
  } finally {
    session.dispose();
  }
});

test("the untaken branch's NaN and infinities never reach the output: the taken values are copied bit for bit", async () => {
  // then: 1/sqrt(x) (NaN below zero, Infinity at zero); else: -x. Both inputs hold negatives and a zero.
  const model = ifOnSum(
    branch("root", [
      { op: "Sqrt", inputs: ["x"], outputs: ["s"] },
      { op: "Reciprocal", inputs: ["s"], outputs: ["root"] },
    ]),
    branch("negated", [{ op: "Neg", inputs: ["x"], outputs: ["negated"] }]),
  );
  assert.ok(importOnnx(model).nodes.some((n) => n.op === "where"));
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    const withZero = (x: Float32Array) => Float32Array.from(x, (v, i) => (i === 5 ? 0 : v));
    const pos = withZero(positive);
    const neg = withZero(negative);
    const taken = Array.from((await session.run(feed(pos))).y!.data);
    assert.deepEqual(
      taken,
      Array.from(pos, (v) => Math.fround(1 / Math.fround(Math.sqrt(v)))),
    );
    assert.ok(taken.some(Number.isNaN) && taken.includes(Infinity), "the then branch's own NaN and Infinity stand when it is taken");
    const other = Array.from((await session.run(feed(neg))).y!.data);
    assert.deepEqual(
      other,
      Array.from(neg, (v) => -v),
    );
    assert.ok(!other.some(Number.isNaN), "no NaN from the untaken branch");
  } finally {
    session.dispose();
  }
});

/** Runs `model` on both inputs through a session and checks each against onnxruntime. */
async function bothOutcomesLikeOnnxruntime(model: Uint8Array): Promise<void> {
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    for (const x of [positive, negative]) {
      await expectLikeOnnxruntime(model, { x: { data: x, shape: [1, WIDTH], type: "float32" } }, await session.run(feed(x)), 1e-5);
    }
  } finally {
    session.dispose();
  }
}

const needsCondition = (model: Uint8Array) =>
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e instanceof RunTimeValueError && e.value === "positive",
  );

test("a branch with a gather (which stops a run on a bad index) keeps the per-run If", { skip }, async () => {
  const model = ifOnSum(
    branch(
      "picked",
      [{ op: "Gather", inputs: ["x", "columns"], outputs: ["picked"], attrs: { axis: 1 } }],
      [initializer("columns", [3, 1, 4, 1], [4], "int64")],
    ),
    branch(
      "firsts",
      [{ op: "Slice", inputs: ["x", "start", "end", "axis1"], outputs: ["firsts"] }],
      [initializer("start", [0], [1], "int64"), initializer("end", [4], [1], "int64"), initializer("axis1", [1], [1], "int64")],
    ),
  );
  needsCondition(model);
  await bothOutcomesLikeOnnxruntime(model);
});

test("branches whose outputs differ in shape keep the per-run If", { skip }, async () => {
  const model = ifOnSum(
    branch("doubled", [{ op: "Add", inputs: ["x", "x"], outputs: ["doubled"] }]),
    branch("total", [{ op: "ReduceSum", inputs: ["x"], outputs: ["total"], attrs: { keepdims: 1 } }]),
  );
  needsCondition(model);
  await bothOutcomesLikeOnnxruntime(model);
});

test("a branch reading more than MAX_BRANCH_WORK elements keeps the per-run If", { skip }, async () => {
  const columns = Math.ceil(MAX_BRANCH_WORK / WIDTH) + 1;
  const model = ifOnSum(
    branch("wide", [{ op: "MatMul", inputs: ["x", "w"], outputs: ["wide"] }], [initializer("w", ramp(WIDTH * columns, 0.01, 0), [WIDTH, columns])]),
    branch("narrow", [{ op: "MatMul", inputs: ["x", "v"], outputs: ["narrow"] }], [initializer("v", ramp(WIDTH * columns, 0.02, 1), [WIDTH, columns])]),
  );
  needsCondition(model);
  await bothOutcomesLikeOnnxruntime(model);
});

test("a condition on a few input values keeps the per-run If (OnnxSession remembers it by value)", () => {
  needsCondition(ifOnSum(branch("a", [{ op: "Exp", inputs: ["x"], outputs: ["a"] }]), branch("b", [{ op: "Neg", inputs: ["x"], outputs: ["b"] }]), 8));
});
