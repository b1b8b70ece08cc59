import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "./session.ts";
import { buildModel, initializer, type GraphSpec, type NodeSpec } from "./testing/model-builder.ts";
import { expectLikeOnnxruntime, ort, type OrtFeed } from "./testing/onnxruntime.ts";

/**
 * Host steps (NonZero, Compress, …) inside an inlined If branch or Loop body run per run like a
 * top-level step (any size, the rest planned by count), except on a value a Loop body computes,
 * which is frozen into the plan (at most 4,096 values).
 */
const skip = ort ? false : "onnxruntime-node is not installed";

/** The positive entries of x, picked by a NonZero in the then-branch; the else-branch passes x on. */
function ifPickingPositives(mask: "outside" | "inside"): Uint8Array {
  const then: NodeSpec[] = [
    ...(mask === "inside" ? [{ op: "Greater", inputs: ["x", "zero"], outputs: ["mask_inside"] }] : []),
    { op: "NonZero", inputs: [mask === "inside" ? "mask_inside" : "mask"], outputs: ["where"] },
    { op: "Squeeze", inputs: ["where", "axis0"], outputs: ["index"] },
    { op: "Gather", inputs: ["x", "index"], outputs: ["kept"] },
  ];
  return buildModel({
    opset: 13,
    inputs: [
      { name: "x", type: "float32", shape: ["n"] },
      { name: "flag", type: "float32", shape: [] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Greater", inputs: ["flag", "zero"], outputs: ["on"] },
      ...(mask === "outside" ? [{ op: "Greater", inputs: ["x", "zero"], outputs: ["mask"] }] : []),
      {
        op: "If",
        inputs: ["on"],
        outputs: ["y"],
        attrs: {
          then_branch: { graph: { inputs: [], outputs: [{ name: "kept", type: "float32" }], nodes: then } },
          else_branch: { graph: { inputs: [], outputs: [{ name: "same", type: "float32" }], nodes: [{ op: "Identity", inputs: ["x"], outputs: ["same"] }] } },
        },
      },
    ],
    initializers: [initializer("zero", [0], []), initializer("axis0", [0], [1], "int64")],
  });
}

const wave = (n: number, shift: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + shift);

function feeds(x: Float32Array, flag: number): { polychip: Record<string, { data: Float32Array; shape: number[] }>; onnxruntime: Record<string, OrtFeed> } {
  const f = Float32Array.from([flag]);
  return {
    polychip: { x: { data: x, shape: [x.length] }, flag: { data: f, shape: [] } },
    onnxruntime: { x: { data: x, shape: [x.length], type: "float32" }, flag: { data: f, shape: [], type: "float32" } },
  };
}

test("a NonZero in an If branch on a top-level mask of 5,000 values runs per run like onnxruntime (some, none, the other branch)", { skip }, async () => {
  const model = ifPickingPositives("outside");
  const session = await OnnxSession.create(model, { device: "cpu" });
  const lengths: number[] = [];
  for (const [x, flag] of [
    [wave(5000, 0), 1],
    [wave(5000, -2), 1],
    [wave(6, 0), 0],
    [wave(7000, 0.3), 1],
  ] as const) {
    const { polychip, onnxruntime } = feeds(x, flag);
    const got = await session.run(polychip);
    await expectLikeOnnxruntime(model, onnxruntime, got, 0);
    lengths.push(got.y!.shape[0]!);
  }
  assert.equal(lengths[1], 0, "the second run picks nothing");
  assert.ok(lengths[0]! > 0 && lengths[3]! > 4096, `counts ${lengths.join(", ")}`);
  session.dispose();
});

test("a NonZero in an If branch on a mask the branch computes runs per run too (5,000 values, some and none)", { skip }, async () => {
  const model = ifPickingPositives("inside");
  const session = await OnnxSession.create(model, { device: "cpu" });
  for (const [x, flag] of [
    [wave(5000, 0), 1],
    [wave(5000, -2), 1],
    [wave(9, 0), 0],
    [wave(9, 0.2), 1],
  ] as const) {
    const { polychip, onnxruntime } = feeds(x, flag);
    await expectLikeOnnxruntime(model, onnxruntime, await session.run(polychip), 0);
  }
  const plan = await session.planFor(feeds(wave(5000, 0), 1).polychip);
  assert.ok(
    plan.graph.inputs.some((v) => v.name === "If_1/NonZero_1/where::host0"),
    `the indices are an input of the plan: ${plan.graph.inputs.map((v) => v.name).join(", ")}`,
  );
  session.dispose();
});

/**
 * If (flag) { kept = x[x > 0]; big = kept[kept > 0.5] (Compress); If (flag2) { Unique(big) } else { big } } else { x }:
 * two host steps in a branch, the second on the first's result, and a nested If on data.
 */
const nestedHostSteps = (() => {
  const passOn = (from: string, to: string): { graph: GraphSpec } => ({
    graph: { inputs: [], outputs: [{ name: to, type: "float32" }], nodes: [{ op: "Identity", inputs: [from], outputs: [to] }] },
  });
  const then: NodeSpec[] = [
    { op: "Greater", inputs: ["x", "zero"], outputs: ["positive"] },
    { op: "NonZero", inputs: ["positive"], outputs: ["where"] },
    { op: "Squeeze", inputs: ["where", "axis0"], outputs: ["index"] },
    { op: "Gather", inputs: ["x", "index"], outputs: ["kept"] },
    { op: "Greater", inputs: ["kept", "half"], outputs: ["large"] },
    { op: "Compress", inputs: ["kept", "large"], outputs: ["big"], attrs: { axis: 0 } },
    { op: "Greater", inputs: ["flag2", "zero"], outputs: ["on2"] },
    {
      op: "If",
      inputs: ["on2"],
      outputs: ["picked"],
      attrs: {
        then_branch: {
          graph: { inputs: [], outputs: [{ name: "distinct", type: "float32" }], nodes: [{ op: "Unique", inputs: ["big"], outputs: ["distinct"] }] },
        },
        else_branch: passOn("big", "big_again"),
      },
    },
  ];
  return buildModel({
    opset: 13,
    inputs: [
      { name: "x", type: "float32", shape: ["n"] },
      { name: "flag", type: "float32", shape: [] },
      { name: "flag2", type: "float32", shape: [] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      { op: "Greater", inputs: ["flag", "zero"], outputs: ["on"] },
      {
        op: "If",
        inputs: ["on"],
        outputs: ["y"],
        attrs: { then_branch: { graph: { inputs: [], outputs: [{ name: "picked", type: "float32" }], nodes: then } }, else_branch: passOn("x", "same") },
      },
    ],
    initializers: [initializer("zero", [0], []), initializer("half", [0.5], []), initializer("axis0", [0], [1], "int64")],
  });
})();

test("two host steps and a nested If on data inside an If branch match onnxruntime, empty results included", { skip }, async () => {
  const session = await OnnxSession.create(nestedHostSteps, { device: "cpu" });
  const steps = (x: Float32Array) => x.map((v) => Math.round(v * 8) / 8);
  for (const [x, flag, flag2] of [
    [steps(wave(5000, 0)), 1, 1],
    [steps(wave(5000, 0)), 1, 0],
    [steps(wave(5000, -0.6)), 1, 1],
    [steps(wave(12, 0)), 0, 1],
    [steps(wave(5000, 0)), 1, 1],
  ] as const) {
    const f = (v: number) => Float32Array.from([v]);
    const got = await session.run({ x: { data: x, shape: [x.length] }, flag: { data: f(flag), shape: [] }, flag2: { data: f(flag2), shape: [] } });
    const ortFeeds: Record<string, OrtFeed> = {
      x: { data: x, shape: [x.length], type: "float32" },
      flag: { data: f(flag), shape: [], type: "float32" },
      flag2: { data: f(flag2), shape: [], type: "float32" },
    };
    await expectLikeOnnxruntime(nestedHostSteps, ortFeeds, got, 0);
  }
  session.dispose();
});

/** A Loop body: (iteration, condition, one carried value) → (condition, the carried value's next, one scan output). */
function loopBody(carried: { name: string; shape: (number | string)[] }, outputs: [next: string, scan: string], nodes: NodeSpec[]): { graph: GraphSpec } {
  return {
    graph: {
      inputs: [
        { name: "i", type: "int64", shape: [] },
        { name: "go_in", type: "bool", shape: [] },
        { name: carried.name, type: "float32", shape: carried.shape },
      ],
      outputs: [
        { name: "go_out", type: "bool" },
        { name: outputs[0], type: "float32" },
        { name: outputs[1], type: "float32" },
      ],
      nodes: [...nodes, { op: "Identity", inputs: ["go_in"], outputs: ["go_out"] }],
    },
  };
}

/**
 * Three iterations of a Loop whose body compresses x by a top-level mask and adds the sum of what
 * it kept to a carried total; the kept values are also a scan output ([3, count]).
 */
const loopCompressing = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: ["n"] }],
  outputs: [
    { name: "total", type: "float32" },
    { name: "kept_each", type: "float32" },
  ],
  nodes: [
    { op: "Greater", inputs: ["x", "zero"], outputs: ["mask"] },
    {
      op: "Loop",
      inputs: ["trips", "go", "start"],
      outputs: ["total", "kept_each"],
      attrs: {
        body: loopBody(
          { name: "acc_in", shape: [1] },
          ["acc_out", "kept"],
          [
            { op: "Compress", inputs: ["x", "mask"], outputs: ["kept"], attrs: { axis: 0 } },
            { op: "ReduceSum", inputs: ["kept"], outputs: ["sum"], attrs: { keepdims: 1 } },
            { op: "Add", inputs: ["acc_in", "sum"], outputs: ["acc_out"] },
          ],
        ),
      },
    },
  ],
  initializers: [initializer("zero", [0], []), initializer("trips", [3], [], "int64"), initializer("go", [1], [], "bool"), initializer("start", [0.5], [1])],
});

test("a Compress in a Loop body on a top-level mask of 6,000 values runs per run like onnxruntime, empty included", { skip }, async () => {
  const session = await OnnxSession.create(loopCompressing, { device: "cpu" });
  for (const x of [wave(6000, 0), wave(6000, -2), wave(10, 0.2)]) {
    const got = await session.run({ x: { data: x, shape: [x.length] } });
    await expectLikeOnnxruntime(loopCompressing, { x: { data: x, shape: [x.length], type: "float32" } }, got, 1e-2);
    assert.equal(got.kept_each!.shape[0], 3);
  }
  session.dispose();
});

/** One iteration of a Loop whose body compresses its loop-carried x by a mask it computes (a scan output must keep one shape per iteration). */
const loopMaskingItself = buildModel({
  opset: 13,
  inputs: [{ name: "x", type: "float32", shape: ["n"] }],
  outputs: [{ name: "last", type: "float32" }],
  nodes: [
    {
      op: "Loop",
      inputs: ["trips", "go", "x"],
      outputs: ["shifted", "last"],
      attrs: {
        body: loopBody(
          { name: "x_in", shape: ["n"] },
          ["x_out", "kept"],
          [
            { op: "Greater", inputs: ["x_in", "zero"], outputs: ["mask_in_body"] },
            { op: "Compress", inputs: ["x_in", "mask_in_body"], outputs: ["kept"], attrs: { axis: 0 } },
            { op: "Sub", inputs: ["x_in", "half"], outputs: ["x_out"] },
          ],
        ),
      },
    },
  ],
  initializers: [initializer("zero", [0], []), initializer("half", [0.5], []), initializer("trips", [1], [], "int64"), initializer("go", [1], [], "bool")],
});

test("a Compress in a Loop body on a mask the body computes is frozen into the plan: small inputs match onnxruntime, large ones say why they are refused", {
  skip,
}, async () => {
  const session = await OnnxSession.create(loopMaskingItself, { device: "cpu" });
  for (const x of [wave(9, 0), wave(9, -2)]) {
    const got = await session.run({ x: { data: x, shape: [9] } });
    await expectLikeOnnxruntime(loopMaskingItself, { x: { data: x, shape: [9], type: "float32" } }, got, 0);
  }
  await assert.rejects(
    session.run({ x: { data: wave(5000, 0), shape: [5000] } }),
    /Compress's condition .* reads 'mask_in_body::\d+' \(bool\[5000\]\), which the enclosing Loop or Scan body computes: it differs per iteration, so it is frozen into the plan per run, at most 4096 values/,
  );
  session.dispose();
});

/** Two If nodes both named 'gate', each with a NonZero in its taken branch, writing `names` there. */
function twoGates(names: [string, string]): Uint8Array {
  const branch = (mask: string, out: string): { graph: GraphSpec } => ({
    graph: { inputs: [], outputs: [{ name: out, type: "int64" }], nodes: [{ op: "NonZero", inputs: [mask], outputs: [out] }] },
  });
  return buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "float32", shape: [6] }],
    outputs: [
      { name: "a", type: "int64" },
      { name: "b", type: "int64" },
    ],
    nodes: [
      { op: "Greater", inputs: ["x", "zero"], outputs: ["positive"] },
      { op: "Less", inputs: ["x", "zero"], outputs: ["negative"] },
      {
        op: "If",
        name: "gate",
        inputs: ["yes"],
        outputs: ["a"],
        attrs: { then_branch: branch("positive", names[0]), else_branch: branch("negative", "other_a") },
      },
      {
        op: "If",
        name: "gate",
        inputs: ["yes"],
        outputs: ["b"],
        attrs: { then_branch: branch("negative", names[1]), else_branch: branch("positive", "other_b") },
      },
    ],
    initializers: [initializer("zero", [0], []), initializer("yes", [1], [], "bool")],
  });
}

const mixedSigns = { x: { data: Float32Array.from([1, -2, 3, -4, 0, 5]), shape: [6] } };

test("two If nodes of the same name keep their branches' host results apart by the outputs' names", async () => {
  const session = await OnnxSession.create(twoGates(["where_a", "where_b"]), { device: "cpu" });
  const got = await session.run(mixedSigns);
  assert.deepEqual(
    [Array.from(got.a!.data), Array.from(got.b!.data)],
    [
      [0, 2, 5],
      [1, 3],
    ],
  );
  session.dispose();
});

test("two subgraph host steps of one path and output name are refused, never fed each other's results", async () => {
  const session = await OnnxSession.create(twoGates(["where", "where"]), { device: "cpu" });
  await assert.rejects(
    session.run(mixedSigns),
    /ONNX node 'gate\/NonZero_0' \(NonZero, opset 13\): another host step of this import already feeds 'gate\/NonZero_0\/where::host0'; give the subgraph nodes distinct names/,
  );
  session.dispose();
});
