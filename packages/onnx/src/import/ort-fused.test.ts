import assert from "node:assert/strict";
import { after, test } from "node:test";
import "@polychip/devices";
import { removeDevice, useDevice } from "@polychip/engine";
import { execute } from "@polychip/engine/runtime";
import type { DType } from "@polychip/hal";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { ort } from "../testing/onnxruntime.ts";
import { DataType } from "../proto/types.ts";
import { tensorToProto } from "../tensor.ts";
import { importOnnx } from "./importer.ts";

/**
 * The operators onnxruntime's optimiser writes (FusedConv, FusedGemm, FusedMatMul, Gelu,
 * MatMulIntegerToFloat, DynamicQuantizeMatMul, SimplifiedLayerNormalization, QLinearWhere,
 * channels-last QLinearConv and NhwcMaxPool), each in a hand-built model against onnxruntime-node, on every device; and the
 * attribute values they refuse.
 */
const skip = ort ? false : "onnxruntime-node is not installed";
const MS = "com.microsoft";

const webgpu: string | false = await useDevice("webgpu").then(
  () => false as const,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);
after(() => removeDevice("webgpu"));
const DEVICES = [
  ["cpu", skip],
  ["npu-sim", skip],
  ["webgpu", skip || webgpu],
] as const;

function seeded(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31 - 0.5) * 2 * scale;
  });
}

type Input = { shape: number[]; type?: "float32" | "uint8" | "int8" | "bool"; data?: ArrayLike<number> };

interface Case {
  name: string;
  nodes: NodeSpec[];
  inputs: Record<string, Input>;
  initializers?: Parameters<typeof buildModel>[0]["initializers"];
  atol?: number;
  /** The graph's outputs when not every node output is one. */
  outputs?: string[];
}

const floats = (name: string, shape: number[], seed: number, scale = 1) =>
  initializer(
    name,
    Array.from(
      seeded(
        shape.reduce((a, b) => a * b, 1),
        seed,
        scale,
      ),
    ),
    shape,
  );
const ints = (name: string, dtype: "int8" | "uint8", shape: number[], seed: number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === "int8" ? Int8Array.from(seeded(n, seed, 127), Math.round) : Uint8Array.from(seeded(n, seed, 127), (v) => Math.round(v + 128));
  return tensorToProto(name, { dtype, shape, data });
};

const CASES: Case[] = [
  {
    name: "FusedConv: Relu over conv + bias + Z (the residual sum)",
    nodes: [{ op: "FusedConv", domain: MS, inputs: ["x", "w", "b", "z"], outputs: ["y"], attrs: { activation: "Relu", pads: [1, 1, 1, 1], strides: [1, 1] } }],
    inputs: { x: { shape: [1, 3, 6, 5] }, z: { shape: [1, 4, 6, 5] } },
    initializers: [floats("w", [4, 3, 3, 3], 5), floats("b", [4], 6)],
  },
  {
    name: "FusedConv: LeakyRelu(alpha) on a grouped strided conv",
    nodes: [
      {
        op: "FusedConv",
        domain: MS,
        inputs: ["x", "w", "b"],
        outputs: ["y"],
        attrs: { activation: "LeakyRelu", activation_params: { floats: [0.2] }, group: 2, strides: [2, 2] },
      },
    ],
    inputs: { x: { shape: [2, 4, 7, 7] } },
    initializers: [floats("w", [6, 2, 3, 3], 7), floats("b", [6], 8)],
  },
  {
    name: "FusedConv: HardSigmoid(alpha, beta), Clip(min, max), Tanh and Sigmoid on 1-D convs",
    nodes: [
      {
        op: "FusedConv",
        domain: MS,
        inputs: ["x", "w"],
        outputs: ["h"],
        attrs: { activation: "HardSigmoid", activation_params: { floats: [0.3, 0.4] }, pads: [1, 1] },
      },
      {
        op: "FusedConv",
        domain: MS,
        inputs: ["x", "w"],
        outputs: ["c"],
        attrs: { activation: "Clip", activation_params: { floats: [-0.5, 0.75] }, pads: [1, 1] },
      },
      { op: "FusedConv", domain: MS, inputs: ["x", "w"], outputs: ["t"], attrs: { activation: "Tanh", dilations: [2] } },
      { op: "FusedConv", domain: MS, inputs: ["x", "w"], outputs: ["s"], attrs: { activation: "Sigmoid" } },
    ],
    inputs: { x: { shape: [2, 3, 9] } },
    initializers: [floats("w", [5, 3, 3], 9)],
  },
  {
    name: "FusedGemm: alpha, beta, transposes and LeakyRelu(activation_alpha)",
    nodes: [
      {
        op: "FusedGemm",
        domain: MS,
        inputs: ["a", "b", "c"],
        outputs: ["y"],
        attrs: { transA: 1, transB: 1, alpha: { float: 0.7 }, beta: { float: 1.5 }, activation: "LeakyRelu", activation_alpha: { float: 0.05 } },
      },
    ],
    inputs: { a: { shape: [5, 3] } },
    initializers: [floats("b", [4, 5], 10), floats("c", [4], 11)],
  },
  {
    name: "FusedGemm: Relu, Sigmoid, Selu(alpha, gamma), HardSigmoid(alpha, beta), Elu",
    nodes: [
      { op: "FusedGemm", domain: MS, inputs: ["a", "b", "c"], outputs: ["r"], attrs: { transB: 1, activation: "Relu" } },
      { op: "FusedGemm", domain: MS, inputs: ["a", "b", "c"], outputs: ["s"], attrs: { transB: 1, activation: "Sigmoid" } },
      {
        op: "FusedGemm",
        domain: MS,
        inputs: ["a", "b"],
        outputs: ["e"],
        attrs: { transB: 1, activation: "Selu", activation_alpha: { float: 1.5 }, activation_gamma: { float: 1.1 } },
      },
      {
        op: "FusedGemm",
        domain: MS,
        inputs: ["a", "b"],
        outputs: ["h"],
        attrs: { transB: 1, activation: "HardSigmoid", activation_alpha: { float: 0.3 }, activation_beta: { float: 0.45 } },
      },
      { op: "FusedGemm", domain: MS, inputs: ["a", "b"], outputs: ["l"], attrs: { transB: 1, activation: "Elu", activation_alpha: { float: 0.8 } } },
    ],
    inputs: { a: { shape: [3, 4] } },
    initializers: [floats("b", [6, 4], 12), floats("c", [3, 6], 13)],
  },
  {
    name: "FusedMatMul: alpha, transA, transB over broadcast batches",
    nodes: [
      { op: "FusedMatMul", domain: MS, inputs: ["a", "b"], outputs: ["y"], attrs: { alpha: { float: 0.125 }, transA: 1, transB: 1 } },
      { op: "FusedMatMul", domain: MS, inputs: ["a", "c"], outputs: ["z"], attrs: { transA: 1 } },
    ],
    inputs: { a: { shape: [2, 3, 4, 5] }, b: { shape: [3, 6, 4] } },
    initializers: [floats("c", [4, 7], 14)],
  },
  {
    name: "FusedMatMul: transBatchA and transBatchB (with and without the matrix transposes)",
    nodes: [
      { op: "FusedMatMul", domain: MS, inputs: ["a", "b"], outputs: ["y"], attrs: { transBatchA: 1, transBatchB: 1 } },
      {
        op: "FusedMatMul",
        domain: MS,
        inputs: ["at", "bt"],
        outputs: ["z"],
        attrs: { transBatchA: 1, transA: 1, transBatchB: 1, transB: 1, alpha: { float: 2 } },
      },
    ],
    // a [M=3, B=2, K=4] read as [2, 3, 4]; b [K=4, B=2, N=5] as [2, 4, 5]; at [K, B, M], bt [N, B, K].
    inputs: { a: { shape: [3, 2, 4] }, b: { shape: [4, 2, 5] }, at: { shape: [4, 2, 3] }, bt: { shape: [5, 2, 4] } },
  },
  {
    name: "Gelu (com.microsoft) and SimplifiedLayerNormalization (onnxruntime's, default domain) over the last two dims",
    nodes: [
      { op: "Gelu", domain: MS, inputs: ["x"], outputs: ["g"] },
      { op: "SimplifiedLayerNormalization", inputs: ["x", "scale"], outputs: ["n"], attrs: { axis: -2, epsilon: { float: 1e-3 } } },
    ],
    inputs: { x: { shape: [2, 3, 4] } },
    initializers: [floats("scale", [3, 4], 15)],
  },
  {
    name: "MatMulIntegerToFloat: uint8 A, int8 B with per-column scales and zero points, bias",
    nodes: [{ op: "MatMulIntegerToFloat", domain: MS, inputs: ["a", "b", "as", "bs", "az", "bz", "bias"], outputs: ["y"] }],
    inputs: { a: { shape: [2, 3, 8], type: "uint8" } },
    initializers: [
      ints("b", "int8", [8, 5], 16),
      initializer("as", [0.02], []),
      floats("bs", [5], 17, 0.01),
      tensorToProto("az", { dtype: "uint8", shape: [], data: Uint8Array.of(120) }),
      tensorToProto("bz", { dtype: "int8", shape: [5], data: Int8Array.of(0, 3, -2, 1, 0) }),
      floats("bias", [5], 18),
    ],
  },
  {
    name: "DynamicQuantizeMatMul: float A quantised per run, int8 B, per-tensor scale, bias",
    nodes: [{ op: "DynamicQuantizeMatMul", domain: MS, inputs: ["a", "b", "bs", "", "bias"], outputs: ["y"] }],
    inputs: { a: { shape: [3, 16] } },
    initializers: [ints("b", "int8", [16, 6], 19), initializer("bs", [0.015], []), floats("bias", [6], 20)],
    // A's dynamic quantisation rounds the same on both sides; the rest is float32 rounding.
    atol: 2e-4,
  },
  {
    name: "QLinearConv (com.microsoft) with channels_last=1",
    nodes: [
      {
        op: "QLinearConv",
        domain: MS,
        inputs: ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"],
        outputs: ["y"],
        attrs: { channels_last: 1, pads: [1, 1, 1, 1] },
      },
    ],
    inputs: { x: { shape: [1, 5, 4, 3], type: "uint8" } },
    initializers: [
      initializer("xs", [0.05], []),
      tensorToProto("xz", { dtype: "uint8", shape: [], data: Uint8Array.of(128) }),
      ints("w", "int8", [4, 3, 3, 3], 21),
      initializer("ws", [0.01], []),
      tensorToProto("wz", { dtype: "int8", shape: [], data: Int8Array.of(0) }),
      initializer("ys", [0.2], []),
      tensorToProto("yz", { dtype: "uint8", shape: [], data: Uint8Array.of(128) }),
    ],
    atol: 0,
  },
  {
    name: "QLinearWhere: X and Y requantised to Z's scale and zero point, Y broadcast",
    nodes: [{ op: "QLinearWhere", domain: MS, inputs: ["c", "x", "xs", "xz", "y", "ys", "yz", "zs", "zz"], outputs: ["z"] }],
    inputs: { c: { shape: [2, 3, 4], type: "bool" }, x: { shape: [2, 3, 4], type: "uint8" }, y: { shape: [4], type: "uint8" } },
    initializers: [
      initializer("xs", [0.05], []),
      tensorToProto("xz", { dtype: "uint8", shape: [], data: Uint8Array.of(120) }),
      initializer("ys", [0.11], []),
      tensorToProto("yz", { dtype: "uint8", shape: [], data: Uint8Array.of(130) }),
      initializer("zs", [0.07], []),
      tensorToProto("zz", { dtype: "uint8", shape: [], data: Uint8Array.of(128) }),
    ],
    atol: 0,
  },
  {
    name: "NhwcMaxPool: uint8 channels-last max pooling, strided and padded",
    nodes: [{ op: "NhwcMaxPool", domain: MS, inputs: ["x"], outputs: ["y"], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } }],
    inputs: { x: { shape: [2, 7, 6, 3], type: "uint8" } },
    atol: 0,
  },
  {
    name: "QuantizeLinear and DequantizeLinear (com.microsoft): uint16 per axis, int16 per tensor",
    nodes: [
      { op: "QuantizeLinear", domain: MS, inputs: ["x", "qs", "qz"], outputs: ["q"], attrs: { axis: 1 } },
      { op: "DequantizeLinear", domain: MS, inputs: ["q", "qs", "qz"], outputs: ["d"], attrs: { axis: 1 } },
      { op: "QuantizeLinear", domain: MS, inputs: ["x", "s", "z"], outputs: ["q16"] },
      { op: "DequantizeLinear", domain: MS, inputs: ["q16", "s", "z"], outputs: ["y"] },
    ],
    inputs: { x: { shape: [2, 3, 4] } },
    initializers: [
      initializer("qs", [0.001, 0.002, 0.0005], [3]),
      { name: "qz", dims: [3], dataType: DataType.UINT16, int32Data: [32768, 30000, 40000] },
      initializer("s", [0.0003], []),
      { name: "z", dims: [], dataType: DataType.INT16, int32Data: [-7] },
    ],
    outputs: ["d", "y"],
    atol: 0,
  },
];

function modelOf(c: Case): Uint8Array {
  const outputs = c.outputs ?? c.nodes.flatMap((n) => n.outputs).filter((o) => o);
  const quantizedOut = c.nodes.some((n) => ["QLinearConv", "QLinearWhere", "NhwcMaxPool"].includes(n.op));
  return buildModel({
    opset: 17,
    domains: { [MS]: 1 },
    inputs: Object.entries(c.inputs).map(([name, v]) => ({ name, type: v.type ?? "float32", shape: v.shape })),
    outputs: outputs.map((name) => ({ name, type: quantizedOut ? "uint8" : "float32" })),
    nodes: c.nodes,
    initializers: c.initializers ?? [],
  });
}

function feedsOf(c: Case): Record<string, { data: Float32Array | Uint8Array | Int8Array; shape: number[]; dtype: DType }> {
  const bytes = (raw: Float32Array, type: Input["type"]) =>
    type === "bool"
      ? Uint8Array.from(raw, (x) => (x > 0 ? 1 : 0))
      : type === "uint8"
        ? Uint8Array.from(raw, (x) => Math.round(x + 128))
        : Int8Array.from(raw, Math.round);
  return Object.fromEntries(
    Object.entries(c.inputs).map(([name, v], i) => {
      const n = v.shape.reduce((a, b) => a * b, 1);
      const raw = seeded(n, 31 + i, v.type === "float32" || !v.type ? 2 : 127);
      const data = v.type && v.type !== "float32" ? bytes(raw, v.type) : raw;
      return [name, { data, shape: v.shape, dtype: v.type ?? "float32" }];
    }),
  );
}

for (const [device, skipped] of DEVICES) {
  for (const c of CASES) {
    test(`${c.name} matches onnxruntime on ${device}`, { skip: skipped }, async () => {
      const model = modelOf(c);
      const feeds = feedsOf(c);
      const got = await execute(importOnnx(model), feeds, { device });
      const session = await ort!.InferenceSession.create(model);
      try {
        const want = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort!.Tensor(f.dtype as "float32", f.data, f.shape)])));
        const atol = c.atol ?? 1e-4;
        for (const name of session.outputNames) {
          assert.deepEqual(got[name]!.shape, [...want[name]!.dims], `${name}: shape`);
          const w = want[name]!.data as Float32Array;
          let worst = 0;
          for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got[name]!.data[i]! - w[i]!) - 1e-3 * Math.abs(w[i]!));
          assert.ok(worst <= atol, `${name}: |polychip − onnxruntime| exceeds atol ${atol} + rtol 1e-3 by ${worst}`);
          // A value that is the same everywhere would make the comparison weak.
          assert.ok(new Set(w).size > 1, `${name}: onnxruntime's output is constant, choose other inputs`);
        }
      } finally {
        await session.release();
      }
    });
  }
}

const REFUSALS: { what: string; node: NodeSpec; inputs: Record<string, Input>; initializers?: Case["initializers"]; message: RegExp }[] = [
  {
    what: "FusedConv with an activation onnxruntime's MLAS does not fuse",
    node: { op: "FusedConv", domain: MS, inputs: ["x", "w"], outputs: ["y"], attrs: { activation: "Gelu" } },
    inputs: { x: { shape: [1, 2, 4, 4] } },
    initializers: [floats("w", [3, 2, 1, 1], 1)],
    message: /FusedConv's activation 'Gelu' is not supported/,
  },
  {
    what: "FusedConv whose activation_params do not fit its activation",
    node: { op: "FusedConv", domain: MS, inputs: ["x", "w"], outputs: ["y"], attrs: { activation: "Clip", activation_params: { floats: [0] } } },
    inputs: { x: { shape: [1, 2, 4, 4] } },
    initializers: [floats("w", [3, 2, 1, 1], 1)],
    message: /FusedConv's activation Clip takes 2 activation_params, got 1/,
  },
  {
    what: "FusedGemm with an attribute it does not know",
    node: { op: "FusedGemm", domain: MS, inputs: ["x", "w"], outputs: ["y"], attrs: { activation: "Relu", leaky_relu_alpha: { float: 0.1 } } },
    inputs: { x: { shape: [2, 3] } },
    initializers: [floats("w", [3, 4], 1)],
    message: /FusedGemm's attribute 'leaky_relu_alpha' is not supported/,
  },
  {
    what: "FusedGemm with a parameter its activation does not read",
    node: { op: "FusedGemm", domain: MS, inputs: ["x", "w"], outputs: ["y"], attrs: { activation: "Relu", activation_alpha: { float: 0.1 } } },
    inputs: { x: { shape: [2, 3] } },
    initializers: [floats("w", [3, 4], 1)],
    message: /FusedGemm's activation Relu takes no parameter alpha/,
  },
  {
    what: "FusedMatMul's transBatchA on a matrix",
    node: { op: "FusedMatMul", domain: MS, inputs: ["x", "w"], outputs: ["y"], attrs: { transBatchA: 1 } },
    inputs: { x: { shape: [2, 3] } },
    initializers: [floats("w", [3, 4], 1)],
    message: /FusedMatMul's transBatchA needs A of rank 3 or more, got rank 2/,
  },
  {
    what: "SimplifiedLayerNormalization with a stash_type other than float32",
    node: { op: "SimplifiedLayerNormalization", inputs: ["x", "w"], outputs: ["y"], attrs: { stash_type: 10 } },
    inputs: { x: { shape: [2, 3] } },
    initializers: [floats("w", [3], 1)],
    message: /SimplifiedLayerNormalization's stash_type 10 is not supported/,
  },
];

for (const r of REFUSALS) {
  test(`${r.what} is refused, naming the op and the attribute`, () => {
    const model = modelOf({ name: r.what, nodes: [r.node], inputs: r.inputs, initializers: r.initializers });
    assert.throws(() => importOnnx(model), r.message);
  });
}

test("FusedConv's Silu (newer onnxruntime than 1.30 writes it) is conv · sigmoid(conv)", async () => {
  const model = modelOf({
    name: "silu",
    nodes: [
      { op: "FusedConv", domain: MS, inputs: ["x", "w", "b"], outputs: ["y"], attrs: { activation: "Silu", pads: [1, 1, 1, 1] } },
      { op: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attrs: { pads: [1, 1, 1, 1] } },
    ],
    inputs: { x: { shape: [1, 3, 5, 5] } },
    initializers: [floats("w", [4, 3, 3, 3], 5), floats("b", [4], 6)],
  });
  const { y, c } = await execute(importOnnx(model), feedsOf({ name: "silu", nodes: [], inputs: { x: { shape: [1, 3, 5, 5] } } }), { device: "cpu" });
  assert.equal(y!.data.length, 100);
  y!.data.forEach((v, i) => {
    const conv = c!.data[i]!;
    assert.ok(Math.abs(v - conv / (1 + Math.exp(-conv))) <= 1e-5, `[${i}]: ${v} for conv ${conv}`);
  });
});
