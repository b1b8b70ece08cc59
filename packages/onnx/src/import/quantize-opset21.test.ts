import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { DataType } from "../proto/types.ts";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { bytes } from "../testing/integer-matmul-cases.ts";
import { ort } from "../testing/onnxruntime.ts";
import { importOnnx } from "./importer.ts";

/**
 * What opset 21 added to quantisation, against onnxruntime-node (equal values): blocked scales
 * and zero points (block_size, a short last block), 16-bit targets, and QLinearMatMul /
 * QLinearConv with scales and zero points fed as graph inputs.
 */
const skip = ort ? false : "onnxruntime-node is not installed";

type FeedType = "float32" | "int8" | "uint8" | "int16" | "uint16";
interface Feed {
  readonly data: Float32Array | Int8Array | Uint8Array | Int16Array | Uint16Array;
  readonly shape: number[];
  readonly type: FeedType;
}

const TYPE_CODES: Record<FeedType, number> = {
  float32: DataType.FLOAT,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  int16: DataType.INT16,
  uint16: DataType.UINT16,
};

function modelOf(feeds: Record<string, Feed>, nodes: NodeSpec[], outputs: { name: string; type: FeedType }[]) {
  return buildModel({
    opset: 21,
    inputs: Object.entries(feeds).map(([name, f]) => ({ name, type: TYPE_CODES[f.type], shape: f.shape })),
    outputs: outputs.map((o) => ({ name: o.name, type: TYPE_CODES[o.type] })),
    nodes,
  });
}

/** Runs the model on `device` and in onnxruntime; every output must be equal, value for value. */
async function expectEqualToOnnxruntime(model: Uint8Array, feeds: Record<string, Feed>, device = "cpu"): Promise<void> {
  const session = await OnnxSession.create(model, { device });
  const polychipFeeds = Object.fromEntries(
    Object.entries(feeds).map(([k, f]) => {
      // The HAL holds 16-bit integers in int32.
      const data = f.type === "int16" || f.type === "uint16" ? Int32Array.from(f.data) : f.data;
      return [k, { data, shape: f.shape, ...(f.type === "int8" || f.type === "uint8" ? { dtype: f.type } : {}) }];
    }),
  );
  const got = await session.run(polychipFeeds);
  session.dispose();
  const oracle = await ort!.InferenceSession.create(model);
  const want = await oracle.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort!.Tensor(f.type, f.data, f.shape)])));
  for (const name of oracle.outputNames) {
    assert.deepEqual(got[name]!.shape, [...want[name]!.dims], `${name}'s shape`);
    assert.deepEqual(Array.from(got[name]!.data), Array.from(want[name]!.data as ArrayLike<number>, Number), `${name}'s values`);
  }
  await oracle.release();
}

const wave = (n: number, amplitude: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) * amplitude + (i % 4) * 0.125);

test("blocked QuantizeLinear and DequantizeLinear (a short last block, int8 and uint8) equal onnxruntime", { skip }, async () => {
  for (const [type, zeros] of [
    ["int8", Int8Array.from([-3, 0, 5, 2, -1, 4])],
    ["uint8", Uint8Array.from([120, 128, 131, 127, 140, 100])],
  ] as const) {
    const feeds: Record<string, Feed> = {
      x: { data: wave(3 * 5, 4), shape: [3, 5], type: "float32" },
      s: { data: Float32Array.from([0.02, 0.05, 0.031, 0.011, 0.07, 0.043]), shape: [3, 2], type: "float32" },
      zp: { data: zeros, shape: [3, 2], type },
    };
    const attrs = { axis: 1, block_size: 3 };
    const nodes: NodeSpec[] = [
      { op: "QuantizeLinear", inputs: ["x", "s", "zp"], outputs: ["q"], attrs },
      { op: "DequantizeLinear", inputs: ["q", "s", "zp"], outputs: ["y"], attrs },
    ];
    await expectEqualToOnnxruntime(
      modelOf(feeds, nodes, [
        { name: "q", type },
        { name: "y", type: "float32" },
      ]),
      feeds,
    );
  }
});

test("blocked DequantizeLinear along axis 0 equals onnxruntime on npu-sim", { skip }, async () => {
  const feeds: Record<string, Feed> = {
    q: { data: Int8Array.from({ length: 20 }, (_, i) => ((i * 29) % 256) - 128), shape: [5, 4], type: "int8" },
    s: { data: Float32Array.from([0.5, 0.25, 0.125, 2, 1.5, 0.75, 3, 0.0625]), shape: [2, 4], type: "float32" },
  };
  const model = modelOf(
    feeds,
    [{ op: "DequantizeLinear", inputs: ["q", "s"], outputs: ["y"], attrs: { axis: 0, block_size: 4 } }],
    [{ name: "y", type: "float32" }],
  );
  await expectEqualToOnnxruntime(model, feeds, "npu-sim");
});

test("QuantizeLinear to int16 and uint16 saturates at their ranges, as onnxruntime does", { skip }, async () => {
  const x = Float32Array.from([-70000, -32768.5, -1.5, -0.5, 0.5, 2.5, 40000, 70000, 123.456]);
  for (const [type, zp] of [
    ["int16", Int16Array.of(-7)],
    ["uint16", Uint16Array.of(30000)],
  ] as const) {
    const feeds: Record<string, Feed> = {
      x: { data: x, shape: [9], type: "float32" },
      s: { data: Float32Array.of(0.5), shape: [], type: "float32" },
      zp: { data: zp, shape: [], type },
    };
    await expectEqualToOnnxruntime(modelOf(feeds, [{ op: "QuantizeLinear", inputs: ["x", "s", "zp"], outputs: ["q"] }], [{ name: "q", type }]), feeds);
  }
});

test("QuantizeLinear without a zero point writes the type output_dtype names", async () => {
  const model = buildModel({
    opset: 21,
    inputs: [{ name: "x", type: "float32", shape: [4] }],
    outputs: [{ name: "q", type: DataType.INT16 }],
    nodes: [{ op: "QuantizeLinear", inputs: ["x", "s"], outputs: ["q"], attrs: { output_dtype: DataType.INT16 } }],
    initializers: [initializer("s", [0.25], [])],
  });
  const { q } = await (await OnnxSession.create(model, { device: "cpu" })).run({ x: { data: Float32Array.from([-9000, -1.1, 3.3, 9000]), shape: [4] } });
  assert.deepEqual(Array.from(q!.data), [-32768, -4, 13, 32767]);
});

test("QuantizeLinear refuses an int32 target, naming it", () => {
  const model = buildModel({
    opset: 21,
    inputs: [{ name: "x", type: "float32", shape: [4] }],
    outputs: [{ name: "q", type: "int32" }],
    nodes: [{ op: "QuantizeLinear", inputs: ["x", "s"], outputs: ["q"], attrs: { output_dtype: DataType.INT32 } }],
    initializers: [initializer("s", [0.25], [])],
  });
  assert.throws(() => importOnnx(model), /quantising to int32 is not supported/);
});

const qLinearMatMulFeeds = (type: "int8" | "uint8", batch: number[]): Record<string, Feed> => {
  const bytes = (n: number, seed: number) =>
    type === "int8" ? Int8Array.from({ length: n }, (_, i) => ((i * seed + 7) % 256) - 128) : Uint8Array.from({ length: n }, (_, i) => (i * seed + 7) % 256);
  const one = (v: number) => (type === "int8" ? Int8Array.of(v - 128) : Uint8Array.of(v));
  return {
    a: {
      data: bytes(
        [...batch, 3, 5].reduce((x, y) => x * y, 1),
        37,
      ),
      shape: [...batch, 3, 5],
      type,
    },
    as: { data: Float32Array.of(0.0312), shape: [], type: "float32" },
    azp: { data: one(131), shape: [], type },
    b: { data: bytes(5 * 4, 53), shape: [5, 4], type },
    bs: { data: Float32Array.of(0.0078), shape: [], type: "float32" },
    bzp: { data: one(120), shape: [], type },
    ys: { data: Float32Array.of(0.0291), shape: [], type: "float32" },
    yzp: { data: one(126), shape: [], type },
  };
};

for (const device of ["cpu", "npu-sim"]) {
  test(`QLinearMatMul with scales and zero points as graph inputs equals onnxruntime on ${device} (2-D and batched, int8 and uint8)`, { skip }, async () => {
    for (const type of ["int8", "uint8"] as const) {
      for (const batch of [[], [2]]) {
        const feeds = qLinearMatMulFeeds(type, batch);
        const node: NodeSpec = { op: "QLinearMatMul", inputs: ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"], outputs: ["y"] };
        await expectEqualToOnnxruntime(modelOf(feeds, [node], [{ name: "y", type }]), feeds, device);
      }
    }
  });
}

test("QLinearMatMul with known scales folds its requantisation multiplier at import", () => {
  const feeds = qLinearMatMulFeeds("uint8", []);
  const model = buildModel({
    opset: 21,
    inputs: [{ name: "a", type: "uint8", shape: [3, 5] }],
    outputs: [{ name: "y", type: "uint8" }],
    nodes: [{ op: "QLinearMatMul", inputs: ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"], outputs: ["y"] }],
    initializers: [
      initializer("as", [0.0312], []),
      bytes("azp", [131], []),
      bytes("b", Array.from(feeds.b!.data), [5, 4]),
      initializer("bs", [0.0078], []),
      bytes("bzp", [120], []),
      initializer("ys", [0.0291], []),
      bytes("yzp", [126], []),
    ],
  });
  assert.equal(importOnnx(model).nodes.filter((n) => n.op === "div").length, 0);
});

test("QLinearConv with scales and zero points as graph inputs (per-channel weight scales) equals onnxruntime", { skip }, async () => {
  const feeds: Record<string, Feed> = {
    x: { data: Uint8Array.from({ length: 2 * 4 * 5 }, (_, i) => (i * 67 + 3) % 256), shape: [1, 2, 4, 5], type: "uint8" },
    xs: { data: Float32Array.of(0.027), shape: [], type: "float32" },
    xzp: { data: Uint8Array.of(125), shape: [], type: "uint8" },
    w: { data: Uint8Array.from({ length: 3 * 2 * 3 * 3 }, (_, i) => (i * 41 + 9) % 256), shape: [3, 2, 3, 3], type: "uint8" },
    ws: { data: Float32Array.from([0.0041, 0.0063, 0.0022]), shape: [3], type: "float32" },
    wzp: { data: Uint8Array.from([128, 128, 128]), shape: [3], type: "uint8" },
    ys: { data: Float32Array.of(0.031), shape: [], type: "float32" },
    yzp: { data: Uint8Array.of(118), shape: [], type: "uint8" },
  };
  const node: NodeSpec = {
    op: "QLinearConv",
    inputs: ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp"],
    outputs: ["y"],
    attrs: { kernel_shape: [3, 3], pads: [1, 0, 1, 1], strides: [1, 2] },
  };
  await expectEqualToOnnxruntime(modelOf(feeds, [node], [{ name: "y", type: "uint8" }]), feeds);
});
