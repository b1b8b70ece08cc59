import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort, type OrtFeed } from "../testing/onnxruntime.ts";

/**
 * ScatterElements and ScatterND with reduction mul/max/min/none (scatter-reduce.ts) against
 * onnxruntime-node, with the cases ONNX's node tests leave out: many updates on one element,
 * negative indices, a non-leading axis, int32 data, NaN and infinities, one update.
 */
const webgpu: string | false = await useDevice("webgpu").then(
  () => false as const,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));
const noOrt = ort ? false : "onnxruntime-node is not installed";

type Data = { data: Float32Array | Int32Array; type: "float32" | "int32" };

function scatterModel(
  op: "ScatterElements" | "ScatterND",
  reduction: string,
  x: Data & { shape: number[] },
  idxShape: number[],
  uShape: number[],
  axis?: number,
) {
  return buildModel({
    opset: 18,
    inputs: [
      { name: "x", type: x.type, shape: x.shape },
      { name: "idx", type: "int64", shape: idxShape },
      { name: "u", type: x.type, shape: uShape },
    ],
    outputs: [{ name: "y", type: x.type }],
    nodes: [{ op, inputs: ["x", "idx", "u"], outputs: ["y"], attrs: { reduction, ...(axis === undefined ? {} : { axis }) } }],
  });
}

interface Case {
  readonly name: string;
  readonly op: "ScatterElements" | "ScatterND";
  readonly axis?: number;
  readonly x: Data & { shape: number[] };
  readonly idx: { data: number[]; shape: number[] };
  readonly u: Data & { shape: number[] };
}

const f32 = (values: number[]) => ({ data: Float32Array.from(values), type: "float32" as const });
const i32 = (values: number[]) => ({ data: Int32Array.from(values), type: "int32" as const });
const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

const CASES: readonly Case[] = [
  {
    name: "ScatterElements along axis 1, five updates on one element, negative indices",
    op: "ScatterElements",
    axis: 1,
    x: { ...f32(ramp(12, (i) => i * 0.5 - 2)), shape: [3, 4] },
    idx: { data: [1, -3, 1, 1, 1, 0, 2, -1, 3, 3, 3, 0, 0, 2, -2], shape: [3, 5] },
    u: { ...f32(ramp(15, (i) => ((i * 7) % 11) - 5.25)), shape: [3, 5] },
  },
  {
    name: "ScatterElements along axis 0 into a wider tensor (indices cover part of dim 1)",
    op: "ScatterElements",
    axis: 0,
    x: { ...f32(ramp(20, (i) => (i % 3) - 1)), shape: [4, 5] },
    idx: { data: [3, 0, 3, 3, 0, 3], shape: [2, 3] },
    u: { ...f32([2.5, -0.5, 4, 1.5, -3, 0.25]), shape: [2, 3] },
  },
  {
    name: "ScatterElements on int32 with duplicates",
    op: "ScatterElements",
    x: { ...i32([3, -2, 7, 0, 5, 1]), shape: [6] },
    idx: { data: [2, 2, 2, 0, 5, 0, 1], shape: [7] },
    u: { ...i32([-4, 9, 2, 6, -1, 3, 5]), shape: [7] },
  },
  {
    name: "ScatterElements with one update",
    op: "ScatterElements",
    x: { ...f32([1, 2, 3]), shape: [3] },
    idx: { data: [-1], shape: [1] },
    u: { ...f32([-7]), shape: [1] },
  },
  {
    name: "ScatterND rows with a row hit three times",
    op: "ScatterND",
    x: { ...f32(ramp(15, (i) => i - 6)), shape: [5, 3] },
    idx: { data: [4, 1, 4, -1, 0], shape: [5, 1] },
    u: { ...f32(ramp(15, (i) => ((i * 5) % 9) - 3.5)), shape: [5, 3] },
  },
  {
    name: "ScatterND element tuples into int32 data",
    op: "ScatterND",
    x: { ...i32(ramp(12, (i) => i - 4)), shape: [3, 4] },
    idx: { data: [2, 3, 0, 0, 2, 3, 1, -1, 2, 3], shape: [5, 2] },
    u: { ...i32([5, -6, -2, 8, 3]), shape: [5] },
  },
];

const SPECIAL_VALUES: Case = {
  name: "ScatterElements with NaN and infinities in the updates",
  op: "ScatterElements",
  x: { ...f32([1, -1, 0, 2]), shape: [4] },
  idx: { data: [0, 0, 1, 2, 2, 3], shape: [6] },
  u: { ...f32([Number.POSITIVE_INFINITY, 3, Number.NEGATIVE_INFINITY, 4, -5, Number.NaN]), shape: [6] },
};

async function checkAgainstOnnxruntime(c: Case, reduction: string, device: string): Promise<void> {
  const model = scatterModel(c.op, reduction, c.x, c.idx.shape, c.u.shape, c.axis);
  const idx = BigInt64Array.from(c.idx.data, BigInt);
  const session = await OnnxSession.create(model, { device });
  try {
    const got = await session.run({
      x: { data: c.x.data, shape: c.x.shape },
      idx: { data: Int32Array.from(c.idx.data), shape: c.idx.shape },
      u: { data: c.u.data, shape: c.u.shape },
    });
    const feeds: Record<string, OrtFeed> = {
      x: { data: c.x.data, shape: c.x.shape, type: c.x.type },
      idx: { data: idx, shape: c.idx.shape, type: "int64" },
      u: { data: c.u.data, shape: c.u.shape, type: c.u.type },
    };
    await expectLikeOnnxruntime(model, feeds, got, 1e-6);
  } finally {
    session.dispose();
  }
}

for (const [device, skip] of [
  ["cpu", noOrt],
  ["npu-sim", noOrt],
  ["webgpu", noOrt || webgpu],
] as const) {
  // "none": of the updates aimed at one element the last wins, as in onnxruntime (never their sum).
  for (const reduction of ["mul", "max", "min", "none"]) {
    test(`scatter reduction ${reduction} on ${device} equals onnxruntime (duplicates, negative indices, axes, int32)`, { skip }, async () => {
      for (const c of CASES) await checkAgainstOnnxruntime(c, reduction, device).catch((e: Error) => assert.fail(`${c.name}: ${e.message}`));
    });
  }
}

test("scatter reductions keep NaN and infinities as onnxruntime does", { skip: noOrt }, async () => {
  const c = SPECIAL_VALUES;
  for (const reduction of ["max", "min", "mul"]) {
    const model = scatterModel(c.op, reduction, c.x, c.idx.shape, c.u.shape);
    const idx = BigInt64Array.from(c.idx.data, BigInt);
    const session = await OnnxSession.create(model, { device: "cpu" });
    const got = await session.run({
      x: { data: c.x.data, shape: c.x.shape },
      idx: { data: Int32Array.from(c.idx.data), shape: c.idx.shape },
      u: { data: c.u.data, shape: c.u.shape },
    });
    session.dispose();
    const oracle = await ort!.InferenceSession.create(model);
    const want = await oracle.run({
      x: new ort!.Tensor("float32", c.x.data, c.x.shape),
      idx: new ort!.Tensor("int64", idx, c.idx.shape),
      u: new ort!.Tensor("float32", c.u.data, c.u.shape),
    });
    await oracle.release();
    // Object.is: NaN equals NaN here, and the sign of an infinity counts.
    assert.deepEqual(Array.from(got.y!.data).map(String), Array.from(want.y!.data as Float32Array).map(String), reduction);
  }
});

test("ScatterElements with reduction max refuses indices that do not fit the data, naming the shapes", async () => {
  const c = CASES[0]!;
  const model = scatterModel("ScatterElements", "max", c.x, [3, 5], [3, 4], 1);
  await assert.rejects(
    OnnxSession.create(model, { device: "cpu" }).then((s) =>
      s.run({ x: { data: c.x.data, shape: c.x.shape }, idx: { data: new Int32Array(15), shape: [3, 5] }, u: { data: new Float32Array(12), shape: [3, 4] } }),
    ),
    /\[3, 5\]/,
  );
});

test("ScatterElements with constant indices: repeated targets keep the last update, distinct ones take two plain scatters", { skip: noOrt }, async () => {
  for (const [idx, sorts] of [
    [[1, 3, 1, 1], true],
    [[2, 0, 3, 1], false],
  ] as const) {
    const model = buildModel({
      opset: 18,
      inputs: [
        { name: "x", type: "float32", shape: [5] },
        { name: "u", type: "float32", shape: [4] },
      ],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [{ op: "ScatterElements", inputs: ["x", "idx", "u"], outputs: ["y"] }],
      initializers: [initializer("idx", [...idx], [4], "int64")],
    });
    const x = Float32Array.of(1, 2, 3, 4, 5);
    const u = Float32Array.of(10, 20, 30, 40);
    const session = await OnnxSession.create(model, { device: "cpu" });
    const got = await session.run({ x: { data: x, shape: [5] }, u: { data: u, shape: [4] } });
    await expectLikeOnnxruntime(model, { x: { data: x, shape: [5], type: "float32" }, u: { data: u, shape: [4], type: "float32" } }, got, 0);
    const ops = (await session.planFor({ x: { data: x, shape: [5] }, u: { data: u, shape: [4] } })).graph.nodes.map((n) => n.op);
    // The sort by target folds at import (the indices are known); the updates are still gathered into its order.
    assert.equal(ops.includes("gather"), sorts, `ops: ${ops.join(", ")}`);
    session.dispose();
  }
});
