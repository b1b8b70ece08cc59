import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "./session.ts";
import { buildModel, initializer, type NodeSpec } from "./testing/model-builder.ts";
import { expectLikeOnnxruntime, ort, type OrtFeed } from "./testing/onnxruntime.ts";

/**
 * Host steps (NonZero, Compress, …) inside an inlined If branch or Loop body: on a top-level value
 * they run per run like a top-level step (any size, the rest planned by count); on a value the
 * subgraph computes the value is frozen into the plan (at most 4,096 values).
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

test("a NonZero in an If branch on a value the branch computes is frozen into the plan: up to 4,096 values, then a clear error", { skip }, async () => {
  const model = ifPickingPositives("inside");
  const session = await OnnxSession.create(model, { device: "cpu" });
  for (const x of [wave(9, 0), wave(9, -2)]) {
    const { polychip, onnxruntime } = feeds(x, 1);
    await expectLikeOnnxruntime(model, onnxruntime, await session.run(polychip), 0);
  }
  await assert.rejects(session.run(feeds(wave(5000, 0), 1).polychip), /'mask_inside::\d+' \(bool\[5000\]\) is needed to plan the model.*at most 4096 values/);
  session.dispose();
});

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
        body: {
          graph: {
            inputs: [
              { name: "i", type: "int64", shape: [] },
              { name: "go_in", type: "bool", shape: [] },
              { name: "acc_in", type: "float32", shape: [1] },
            ],
            outputs: [
              { name: "go_out", type: "bool" },
              { name: "acc_out", type: "float32" },
              { name: "kept", type: "float32" },
            ],
            nodes: [
              { op: "Compress", inputs: ["x", "mask"], outputs: ["kept"], attrs: { axis: 0 } },
              { op: "ReduceSum", inputs: ["kept"], outputs: ["sum"], attrs: { keepdims: 1 } },
              { op: "Add", inputs: ["acc_in", "sum"], outputs: ["acc_out"] },
              { op: "Identity", inputs: ["go_in"], outputs: ["go_out"] },
            ],
          },
        },
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
