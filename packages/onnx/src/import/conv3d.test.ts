import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import { importOnnx } from "./importer.ts";
import { conv3dLimits } from "./ops/conv3d.ts";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { bytes } from "../testing/integer-matmul-cases.ts";
import { expectLikeOnnxruntime, ort, type OrtFeed } from "../testing/onnxruntime.ts";

/**
 * 3-D Conv (ops/conv3d.ts) against onnxruntime-node on one-node models with odd sizes, batches,
 * strides, explicit and auto pads, dilations, groups and depthwise weights, on cpu and npu-sim
 * (one case on webgpu), the chunked path for long depths, and ConvInteger/QLinearConv in 3-D.
 */
const noOrt = ort ? false : "onnxruntime-node is not installed";
const webgpu: string | false = await useDevice("webgpu").then(
  () => false as const,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));

interface Case {
  readonly name: string;
  readonly x: number[];
  readonly w: number[];
  readonly bias?: boolean;
  readonly attrs: Record<string, number[] | number | string>;
}

const CASES: Case[] = [
  {
    name: "batch 2, group 2, strides, uneven pads, dilations, bias",
    x: [2, 4, 5, 6, 7],
    w: [6, 2, 3, 2, 3],
    bias: true,
    attrs: { group: 2, strides: [2, 1, 2], pads: [1, 0, 1, 2, 1, 0], dilations: [1, 2, 1] },
  },
  { name: "auto_pad SAME_UPPER with stride 2 on odd sizes", x: [1, 3, 7, 5, 9], w: [4, 3, 3, 3, 2], attrs: { auto_pad: "SAME_UPPER", strides: [2, 2, 2] } },
  {
    name: "auto_pad SAME_LOWER with an even kernel",
    x: [2, 2, 4, 5, 3],
    w: [3, 2, 2, 2, 2],
    bias: true,
    attrs: { auto_pad: "SAME_LOWER", strides: [1, 2, 1] },
  },
  { name: "auto_pad VALID with depth dilation 2", x: [1, 2, 9, 4, 4], w: [2, 2, 3, 2, 2], attrs: { auto_pad: "VALID", dilations: [2, 1, 1] } },
  { name: "depthwise with channel multiplier 2", x: [2, 3, 5, 5, 5], w: [6, 1, 3, 3, 3], bias: true, attrs: { group: 3, pads: [1, 1, 1, 1, 1, 1] } },
  { name: "a (1, 3, 3) kernel, which needs no depth gather", x: [2, 3, 4, 6, 5], w: [4, 3, 1, 3, 3], bias: true, attrs: { pads: [0, 1, 1, 0, 1, 1] } },
  { name: "a (1, 3, 3) kernel with depth pads", x: [1, 3, 3, 5, 5], w: [2, 3, 1, 3, 3], attrs: { pads: [1, 0, 0, 2, 0, 0] } },
  { name: "1x1x1 kernel with stride 3", x: [1, 5, 7, 7, 8], w: [2, 5, 1, 1, 1], attrs: { strides: [3, 3, 3] } },
  { name: "kernel as deep as the padded input", x: [1, 2, 3, 4, 4], w: [2, 2, 5, 1, 3], attrs: { pads: [1, 0, 0, 1, 0, 2] } },
];

/** A deterministic sequence in [-1, 1) (no Math.random: failures repeat). */
function values(count: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: count }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function caseModel(c: Case) {
  const shapes: Record<string, number[]> = { X: c.x, W: c.w, ...(c.bias ? { B: [c.w[0]!] } : {}) };
  const feeds: Record<string, OrtFeed> = Object.fromEntries(
    Object.entries(shapes).map(([name, shape], k) => [name, { data: values(size(shape), 11 + k), shape, type: "float32" as const }]),
  );
  const model = buildModel({
    opset: 17,
    inputs: Object.entries(shapes).map(([name, shape]) => ({ name, type: "float32", shape })),
    outputs: [{ name: "Y", type: "float32" }],
    nodes: [{ op: "Conv", inputs: Object.keys(shapes), outputs: ["Y"], attrs: c.attrs }],
  });
  return { model, feeds };
}

async function checkCase(c: Case, device: string): Promise<void> {
  const { model, feeds } = caseModel(c);
  const session = await OnnxSession.create(model, { device });
  try {
    const got = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, { data: f.data as Float32Array, shape: f.shape }])));
    await expectLikeOnnxruntime(model, feeds, got, 1e-5);
  } finally {
    session.dispose();
  }
}

for (const device of ["cpu", "npu-sim"]) {
  for (const c of CASES) {
    test(`3-D Conv, ${c.name}, on ${device} matches onnxruntime`, { skip: noOrt }, () => checkCase(c, device));
  }
}

test("3-D Conv on webgpu matches onnxruntime (group 2, strides, pads, dilations)", { skip: noOrt || webgpu }, () => checkCase(CASES[0]!, "webgpu"));

test("a long 3-D Conv goes in chunks of output depth and still matches onnxruntime", { skip: noOrt }, async () => {
  const c: Case = { name: "chunked", x: [2, 3, 11, 4, 5], w: [4, 3, 3, 2, 2], bias: true, attrs: { strides: [2, 1, 1], pads: [1, 0, 0, 1, 1, 1] } };
  const saved = conv3dLimits.maxUnfolded;
  // One output depth unfolds to 3 · 3 · 4 · 5 = 180 elements: 400 fits 2 depths, so 6 depths take 3 chunks.
  conv3dLimits.maxUnfolded = 400;
  try {
    assert.equal(importOnnx(caseModel(c).model).nodes.filter((n) => n.op === "conv2d").length, 3);
    await checkCase(c, "cpu");
  } finally {
    conv3dLimits.maxUnfolded = saved;
  }
});

test("a (1, KH, KW) 3-D Conv at depth stride 1 runs one conv2d with no depth gather", () => {
  const { model } = caseModel(CASES.find((c) => c.name.startsWith("a (1, 3, 3) kernel, which"))!);
  const ops = importOnnx(model).nodes.map((n) => n.op);
  assert.equal(ops.filter((op) => op === "conv2d").length, 1);
  assert.ok(!ops.includes("gather"), `ops: ${ops.join(", ")}`);
});

test("3-D Conv refuses a depth window wider than the padded input", () => {
  const { model } = caseModel({ name: "too deep", x: [1, 2, 3, 4, 4], w: [2, 2, 5, 1, 1], attrs: {} });
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e instanceof ShapeError && /depth window \(5 taps/.test(e.message),
  );
});

test("3-D Conv refuses a weight whose channels do not fit the group", () => {
  const { model } = caseModel({ name: "bad group", x: [1, 4, 3, 4, 4], w: [2, 3, 1, 1, 1], attrs: { group: 2 } });
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e instanceof ShapeError && /group 2 do not fit input channels 4/.test(e.message),
  );
});

test("3-D Conv names the symbolic spatial dim it cannot lower", () => {
  const model = buildModel({
    opset: 17,
    inputs: [{ name: "X", type: "float32", shape: ["N", 2, "D", 4, 4] }],
    outputs: [{ name: "Y", type: "float32" }],
    nodes: [{ op: "Conv", inputs: ["X", "W"], outputs: ["Y"] }],
    initializers: [initializer("W", [1, 2], [1, 2, 1, 1, 1])],
  });
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e instanceof UnsupportedOpError && /3-D convolution needs .*N, 2, D, 4, 4/.test(e.message),
  );
});

test("3-D Conv keeps a symbolic batch", () => {
  const model = buildModel({
    opset: 17,
    inputs: [{ name: "X", type: "float32", shape: ["N", 2, 3, 4, 4] }],
    outputs: [{ name: "Y", type: "float32" }],
    nodes: [{ op: "Conv", inputs: ["X", "W"], outputs: ["Y"], attrs: { pads: [1, 1, 1, 1, 1, 1] } }],
    initializers: [initializer("W", Array.from(values(5 * 2 * 27, 3)), [5, 2, 3, 3, 3])],
  });
  const graph = importOnnx(model);
  assert.deepEqual(graph.outputs[0]!.shape, ["N", 5, 3, 4, 4]);
});

/** 3-D ConvInteger and QLinearConv share Conv's lowering; both are compared exactly. */
function quantizedModel(op: "ConvInteger" | "QLinearConv") {
  const xShape = [2, 4, 5, 4, 3];
  const wShape = [4, 2, 3, 2, 2];
  const w = bytes(
    "w",
    Array.from({ length: size(wShape) }, (_, i) => (i * 61 + 5) % 256),
    wShape,
  );
  const attrs = { group: 2, strides: [2, 1, 1], pads: [1, 0, 1, 1, 1, 0] };
  const scalar = (name: string, v: number) => initializer(name, [v], []);
  const nodes =
    op === "ConvInteger"
      ? [{ op, inputs: ["x", "w", "xzp", "wzp"], outputs: ["y"], attrs }]
      : [{ op, inputs: ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp"], outputs: ["y"], attrs }];
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "uint8", shape: xShape }],
    outputs: [{ name: "y", type: op === "ConvInteger" ? "int32" : "uint8" }],
    nodes,
    initializers: [
      w,
      bytes("xzp", [131], []),
      bytes("wzp", [97], []),
      ...(op === "QLinearConv" ? [bytes("yzp", [119], []), scalar("xs", 0.029), scalar("ws", 0.0031), scalar("ys", 0.9)] : []),
    ],
  });
  const x = Uint8Array.from({ length: size(xShape) }, (_, i) => (i * 53 + 11) % 256);
  return { model, x, xShape };
}

for (const op of ["ConvInteger", "QLinearConv"] as const) {
  for (const device of ["cpu", "npu-sim"]) {
    test(`3-D ${op} (group 2, stride, pads, batch 2) on ${device} equals onnxruntime`, { skip: noOrt }, async () => {
      const { model, x, xShape } = quantizedModel(op);
      const session = await OnnxSession.create(model, { device });
      try {
        const got = await session.run({ x: { data: x, shape: xShape, dtype: "uint8" } });
        await expectLikeOnnxruntime(model, { x: { data: x, shape: xShape, type: "uint8" } }, got, 0);
      } finally {
        session.dispose();
      }
    });
  }
}

test("3-D ConvInteger past 2^24 splits its channels and stays exact like onnxruntime", { skip: noOrt }, async () => {
  // 16 channels · 27 taps = 432 terms > 258: two float32 convs (9 + 7 channels) added in int32.
  const xShape = [1, 16, 3, 3, 3];
  const model = buildModel({
    opset: 13,
    inputs: [{ name: "x", type: "uint8", shape: xShape }],
    outputs: [{ name: "y", type: "int32" }],
    nodes: [{ op: "ConvInteger", inputs: ["x", "w", "xzp"], outputs: ["y"], attrs: { pads: [1, 0, 0, 1, 0, 0] } }],
    initializers: [
      bytes(
        "w",
        Array.from({ length: 2 * 16 * 27 }, (_, i) => 255 - ((i * 7) % 13)),
        [2, 16, 3, 3, 3],
      ),
      bytes("xzp", [255], []),
    ],
  });
  assert.equal(importOnnx(model).nodes.filter((n) => n.op === "conv2d").length, 2);
  // x − x_zp = −255 mostly: outputs near −255 · 432 · 250, past 2^24 where float32 rounds.
  const x = Uint8Array.from({ length: size(xShape) }, (_, i) => (i % 5 === 0 ? 3 : 0));
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    const got = await session.run({ x: { data: x, shape: xShape, dtype: "uint8" } });
    assert.ok(Array.from(got.y!.data).some((v) => Math.abs(v) > 2 ** 24 && v % 2 !== 0));
    await expectLikeOnnxruntime(model, { x: { data: x, shape: xShape, type: "uint8" } }, got, 0);
  } finally {
    session.dispose();
  }
});
