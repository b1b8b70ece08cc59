import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";

/**
 * MaxRoiPool (ops/max-roi-pool.ts) against onnxruntime-node: spatial_scale 1 and 0.25, pooled 2×2
 * and 3×3, rois partly and wholly outside the map, malformed rois, rois on batch 1, rois fed per
 * run and rois known at import, on cpu and npu-sim (one case on webgpu), and a bad batch index.
 */
const noOrt = ort ? false : "onnxruntime-node is not installed";
const webgpu: string | false = await useDevice("webgpu").then(
  () => false as const,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

const X_SHAPE = [2, 3, 10, 12];
// Mixed signs: some bins hold only negatives.
const x = Float32Array.from({ length: 2 * 3 * 10 * 12 }, (_, i) => Math.sin(i * 0.37) * 3 + ((i * 7) % 11) * 0.05 - 0.4);

interface Case {
  readonly name: string;
  readonly pooled: [number, number];
  readonly scale?: number;
  readonly rois: number[];
}

const CASES: Case[] = [
  {
    name: "spatial_scale 1, pooled 2×2, rois inside, partly and wholly outside, malformed, on both images",
    pooled: [2, 2],
    rois: [0, 1, 2, 7, 8, 1, 3.5, 0.5, 11, 9, 0, -3, -2, 4, 3, 1, 8, 7, 20, 15, 0, 5, 5, 4, 4, 1, 30, 30, 40, 40, 1, 2.5, 1.5, 2.5, 1.5],
  },
  {
    name: "spatial_scale 0.25, pooled 3×3, image-size rois (rounded half away from zero)",
    pooled: [3, 3],
    scale: 0.25,
    rois: [1, 0, 0, 47, 39, 0, 6, 10, 30, 26, 1, -10, -6, 22, 18, 0, 2, 2, 2, 2, 1, 38, 30, 60, 70],
  },
  { name: "default spatial_scale, pooled 3×2, one roi on batch 1", pooled: [3, 2], rois: [1, 2, 1, 9, 8] },
];

function model(c: Case, roisKnown: boolean): Uint8Array {
  const count = c.rois.length / 5;
  return buildModel({
    opset: 1,
    inputs: [{ name: "x", type: "float32", shape: X_SHAPE }, ...(roisKnown ? [] : [{ name: "rois", type: "float32" as const, shape: [count, 5] }])],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      {
        op: "MaxRoiPool",
        inputs: ["x", "rois"],
        outputs: ["y"],
        attrs: { pooled_shape: c.pooled, ...(c.scale === undefined ? {} : { spatial_scale: { float: c.scale } }) },
      },
    ],
    initializers: roisKnown ? [initializer("rois", c.rois, [count, 5])] : [],
  });
}

async function check(c: Case, device: string, roisKnown: boolean): Promise<void> {
  const m = model(c, roisKnown);
  const rois = { data: Float32Array.from(c.rois), shape: [c.rois.length / 5, 5] };
  const session = await OnnxSession.create(m, { device });
  try {
    const got = await session.run({ x: { data: x, shape: X_SHAPE }, ...(roisKnown ? {} : { rois }) });
    assert.deepEqual(got.y!.shape, [c.rois.length / 5, 3, ...c.pooled]);
    // A max picks one of the inputs: exact.
    await expectLikeOnnxruntime(m, { x: { data: x, shape: X_SHAPE, type: "float32" }, ...(roisKnown ? {} : { rois: { ...rois, type: "float32" } }) }, got, 0);
  } finally {
    session.dispose();
  }
}

for (const device of ["cpu", "npu-sim"]) {
  for (const c of CASES) {
    test(`MaxRoiPool, ${c.name}, rois fed per run, on ${device} matches onnxruntime`, { skip: noOrt }, () => check(c, device, false));
  }
  test(`MaxRoiPool with rois known at import on ${device} matches onnxruntime`, { skip: noOrt }, () => check(CASES[1]!, device, true));
}

test("MaxRoiPool on webgpu matches onnxruntime", { skip: noOrt || webgpu }, () => check(CASES[0]!, "webgpu", false));

test("MaxRoiPool gives an empty bin 0 and an all-negative bin its max, as onnxruntime", { skip: noOrt }, async () => {
  const c: Case = { name: "", pooled: [1, 1], rois: [0, 0, 0, 3, 3, 1, 50, 50, 60, 60] };
  const m = model(c, false);
  const negative = new Float32Array(2 * 3 * 10 * 12).fill(-2);
  const rois = { data: Float32Array.from(c.rois), shape: [2, 5] };
  const session = await OnnxSession.create(m, { device: "cpu" });
  const got = await session.run({ x: { data: negative, shape: X_SHAPE }, rois });
  assert.deepEqual(Array.from(got.y!.data), [-2, -2, -2, 0, 0, 0]);
  await expectLikeOnnxruntime(m, { x: { data: negative, shape: X_SHAPE, type: "float32" }, rois: { ...rois, type: "float32" } }, got, 0);
  session.dispose();
});

test("MaxRoiPool refuses a roi's batch index outside X's batch, naming the node", async () => {
  const m = buildModel({
    opset: 1,
    inputs: [
      { name: "x", type: "float32", shape: X_SHAPE },
      { name: "rois", type: "float32", shape: [2, 5] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "MaxRoiPool", name: "crop", inputs: ["x", "rois"], outputs: ["y"], attrs: { pooled_shape: [2, 2] } }],
  });
  const session = await OnnxSession.create(m, { device: "cpu" });
  await assert.rejects(
    session.run({ x: { data: x, shape: X_SHAPE }, rois: { data: Float32Array.from([0, 0, 0, 3, 3, 2, 0, 0, 3, 3]), shape: [2, 5] } }),
    /ONNX node 'crop' \(MaxRoiPool, opset 1\): roi 1 has batch index 2, outside \[0, 2\)/,
  );
  await assert.rejects(
    session.run({ x: { data: x, shape: X_SHAPE }, rois: { data: Float32Array.from([-1, 0, 0, 3, 3, 0, 0, 0, 3, 3]), shape: [2, 5] } }),
    /'crop' \(MaxRoiPool.*roi 0 has batch index -1/,
  );
  session.dispose();
});

test("MaxRoiPool refuses rois that are not [num_rois, 5] and a missing pooled_shape", async () => {
  const bad = buildModel({
    opset: 1,
    inputs: [{ name: "x", type: "float32", shape: X_SHAPE }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "MaxRoiPool", inputs: ["x", "rois"], outputs: ["y"], attrs: { pooled_shape: [2, 2] } }],
    initializers: [initializer("rois", [0, 0, 0, 3], [1, 4])],
  });
  const run = async (m: Uint8Array) => (await OnnxSession.create(m, { device: "cpu" })).run({ x: { data: x, shape: X_SHAPE } });
  await assert.rejects(run(bad), /MaxRoiPool.*rois must be \[num_rois, 5\].*got \[1, 4\]/);
  const noShape = buildModel({
    opset: 1,
    inputs: [{ name: "x", type: "float32", shape: X_SHAPE }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [{ op: "MaxRoiPool", inputs: ["x", "rois"], outputs: ["y"] }],
    initializers: [initializer("rois", [0, 0, 0, 3, 3], [1, 5])],
  });
  await assert.rejects(run(noShape), /MaxRoiPool.*pooled_shape is required/);
});
