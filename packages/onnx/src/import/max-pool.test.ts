import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort } from "../testing/onnxruntime.ts";
import { importOnnx } from "./importer.ts";

/**
 * MaxPool's Indices output and 8-bit inputs against onnxruntime-node: ties (the first tap in
 * row-major order wins), storage_order 1, pads, strides, dilations, ceil mode, 1-D and 3-D.
 */
const skip = ort ? false : "onnxruntime-node is not installed";

type Attrs = Record<string, number | number[]>;

function maxPoolModel(shape: number[], attrs: Attrs, type: "float32" | "int8" | "uint8" = "float32", withIndices = true) {
  return buildModel({
    opset: 12,
    inputs: [{ name: "x", type, shape }],
    outputs: [{ name: "y", type }, ...(withIndices ? [{ name: "i", type: "int64" as const }] : [])],
    nodes: [{ op: "MaxPool", inputs: ["x"], outputs: withIndices ? ["y", "i"] : ["y"], attrs }],
  });
}

async function checkLikeOnnxruntime(shape: number[], attrs: Attrs, data: Float32Array, device: string): Promise<void> {
  const model = maxPoolModel(shape, attrs);
  const session = await OnnxSession.create(model, { device });
  try {
    const got = await session.run({ x: { data, shape } });
    await expectLikeOnnxruntime(model, { x: { data, shape, type: "float32" } }, got, 0);
  } finally {
    session.dispose();
  }
}

/** Few distinct values, so most windows hold a tie. */
const ties = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7) % 5) - 2);

const CASES: readonly { name: string; shape: number[]; attrs: Attrs }[] = [
  { name: "2-D 3x3 stride 1 with ties", shape: [2, 3, 5, 6], attrs: { kernel_shape: [3, 3] } },
  { name: "2-D pads and strides", shape: [1, 2, 7, 5], attrs: { kernel_shape: [3, 2], pads: [1, 0, 2, 1], strides: [2, 2] } },
  { name: "2-D dilations", shape: [1, 2, 8, 7], attrs: { kernel_shape: [2, 3], dilations: [2, 2], pads: [1, 1, 1, 1] } },
  { name: "2-D ceil mode", shape: [1, 1, 6, 7], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 } },
  { name: "2-D storage_order 1", shape: [2, 2, 5, 4], attrs: { kernel_shape: [2, 3], pads: [0, 1, 1, 1], storage_order: 1 } },
  { name: "1-D", shape: [2, 3, 9], attrs: { kernel_shape: [3], strides: [2], pads: [1, 1] } },
  { name: "3-D", shape: [1, 2, 4, 5, 3], attrs: { kernel_shape: [2, 3, 2], pads: [0, 1, 0, 1, 0, 1] } },
];

for (const device of ["cpu", "npu-sim"]) {
  test(`MaxPool's Indices on ${device} equal onnxruntime's (ties, pads, strides, dilations, ceil, 1-D to 3-D, storage_order 1)`, { skip }, async () => {
    for (const c of CASES) {
      const n = c.shape.reduce((a, b) => a * b, 1);
      await checkLikeOnnxruntime(c.shape, c.attrs, ties(n), device).catch((e: Error) => assert.fail(`${c.name}: ${e.message}`));
    }
  });
}

test("MaxPool's Indices: a window of equal values points at its first tap, -Infinity included", { skip }, async () => {
  await checkLikeOnnxruntime([1, 1, 3, 4], { kernel_shape: [2, 2], pads: [1, 1, 1, 1] }, new Float32Array(12).fill(-Infinity), "cpu");
  await checkLikeOnnxruntime([1, 1, 3, 4], { kernel_shape: [2, 2], strides: [1, 2] }, new Float32Array(12).fill(3), "cpu");
});

test("MaxPool's Indices skip NaN as onnxruntime does", { skip }, async () => {
  const shape = [1, 1, 3, 3];
  const x = Float32Array.from([1, Number.NaN, 2, 5, 4, Number.NaN, 0, 7, 3]);
  const model = maxPoolModel(shape, { kernel_shape: [2, 2] });
  const got = await (await OnnxSession.create(model, { device: "cpu" })).run({ x: { data: x, shape } });
  const oracle = await ort!.InferenceSession.create(model);
  const want = await oracle.run({ x: new ort!.Tensor("float32", x, shape) });
  await oracle.release();
  assert.deepEqual(Array.from(got.i!.data), Array.from(want.i!.data as BigInt64Array, Number));
});

for (const type of ["int8", "uint8"] as const) {
  test(`MaxPool on ${type} equals onnxruntime's, indices included`, { skip }, async () => {
    const shape = [1, 2, 5, 5];
    const data = type === "int8" ? Int8Array.from({ length: 50 }, (_, i) => ((i * 37) % 256) - 128) : Uint8Array.from({ length: 50 }, (_, i) => (i * 53) % 256);
    const model = maxPoolModel(shape, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, type);
    const got = await (await OnnxSession.create(model, { device: "cpu" })).run({ x: { data, shape, dtype: type } });
    const oracle = await ort!.InferenceSession.create(model);
    const want = await oracle.run({ x: new ort!.Tensor(type, data, shape) });
    await oracle.release();
    assert.deepEqual(Array.from(got.y!.data), Array.from(want.y!.data as Int8Array));
    assert.deepEqual(Array.from(got.i!.data), Array.from(want.i!.data as BigInt64Array, Number));
  });
}

test("MaxPool's Indices name the node when the input's shape is not known", () => {
  const model = buildModel({
    opset: 12,
    inputs: [{ name: "x", type: "float32", shape: [1, 1, "h", 4] }],
    outputs: [
      { name: "y", type: "float32" },
      { name: "i", type: "int64" },
    ],
    nodes: [{ op: "MaxPool", inputs: ["x"], outputs: ["y", "i"], attrs: { kernel_shape: [2, 2] }, name: "pool" }],
  });
  assert.throws(() => importOnnx(model), /pool.*Indices/s);
});

test("MaxPool's Indices refuse a tap table past 2^25 entries, naming the sizes", () => {
  const model = maxPoolModel([1, 1, 2048, 2048], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  assert.throws(() => importOnnx(model), /Indices over \[2048, 2048\] windows of \[3, 3\]/);
});
