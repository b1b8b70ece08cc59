import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx } from "./importer.ts";
import { runOnnx } from "../testing/run-model.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort, type OrtFeed } from "../testing/onnxruntime.ts";

/** Each com.microsoft (and dynamic-quantisation) operator against onnxruntime-node on the CPU. */
const skip = ort ? false : "onnxruntime-node is not installed";
const MS = "com.microsoft";

function seeded(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31 - 0.5) * 2 * scale;
  });
}

async function check(
  nodes: NodeSpec[],
  inputs: Record<string, { shape: number[]; data?: Float32Array }>,
  outputs: { name: string; type: "float32" | "uint8" | "int32" }[],
  initializers: Parameters<typeof buildModel>[0]["initializers"] = [],
  atol = 1e-4,
): Promise<void> {
  const model = buildModel({
    opset: 17,
    domains: { [MS]: 1 },
    inputs: Object.entries(inputs).map(([name, v]) => ({ name, type: "float32" as const, shape: v.shape })),
    outputs: outputs.map((o) => ({ ...o })),
    nodes,
    initializers,
  });
  const feeds: Record<string, OrtFeed> = {};
  Object.entries(inputs).forEach(([name, v], i) => {
    feeds[name] = {
      data:
        v.data ??
        seeded(
          v.shape.reduce((a, b) => a * b, 1),
          17 + i,
          2,
        ),
      shape: v.shape,
      type: "float32",
    };
  });
  const got = await runOnnx(model, Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, { data: f.data as Float32Array, shape: f.shape }])));
  await expectLikeOnnxruntime(model, feeds, got, atol);
}

test("BiasGelu, FastGelu (with and without bias) and QuickGelu match onnxruntime", { skip }, async () => {
  const bias = initializer("bias", Array.from(seeded(8, 3)), [8]);
  await check([{ op: "BiasGelu", domain: MS, inputs: ["x", "bias"], outputs: ["y"] }], { x: { shape: [2, 3, 8] } }, [{ name: "y", type: "float32" }], [bias]);
  await check([{ op: "FastGelu", domain: MS, inputs: ["x", "bias"], outputs: ["y"] }], { x: { shape: [2, 3, 8] } }, [{ name: "y", type: "float32" }], [bias]);
  await check([{ op: "FastGelu", domain: MS, inputs: ["x"], outputs: ["y"] }], { x: { shape: [4, 8] } }, [{ name: "y", type: "float32" }]);
  await check([{ op: "QuickGelu", domain: MS, inputs: ["x"], outputs: ["y"], attrs: { alpha: { float: 1.5 } } }], { x: { shape: [4, 8] } }, [
    { name: "y", type: "float32" },
  ]);
});

test("SkipLayerNormalization (beta, bias, the sum output) matches onnxruntime", { skip }, async () => {
  const inits = [
    initializer("gamma", Array.from(seeded(16, 5)), [16]),
    initializer("beta", Array.from(seeded(16, 6)), [16]),
    initializer("bias", Array.from(seeded(16, 7)), [16]),
  ];
  await check(
    [
      {
        op: "SkipLayerNormalization",
        domain: MS,
        inputs: ["x", "skip", "gamma", "beta", "bias"],
        outputs: ["y", "", "", "sum"],
        attrs: { epsilon: { float: 1e-5 } },
      },
    ],
    { x: { shape: [2, 3, 16] }, skip: { shape: [2, 3, 16] } },
    [
      { name: "y", type: "float32" },
      { name: "sum", type: "float32" },
    ],
    inits,
  );
  await check(
    [{ op: "SkipLayerNormalization", domain: MS, inputs: ["x", "skip", "gamma"], outputs: ["y"] }],
    { x: { shape: [1, 4, 16] }, skip: { shape: [1, 4, 16] } },
    [{ name: "y", type: "float32" }],
    inits,
  );
});

test("SkipSimplifiedLayerNormalization (RMS norm; bias, the sum output) matches onnxruntime", { skip }, async () => {
  const inits = [initializer("gamma", Array.from(seeded(16, 5)), [16]), initializer("bias", Array.from(seeded(16, 7)), [16])];
  await check(
    [
      {
        op: "SkipSimplifiedLayerNormalization",
        domain: MS,
        inputs: ["x", "skip", "gamma", "bias"],
        outputs: ["y", "", "", "sum"],
        attrs: { epsilon: { float: 1e-6 } },
      },
    ],
    { x: { shape: [2, 3, 16] }, skip: { shape: [2, 3, 16] } },
    [
      { name: "y", type: "float32" },
      { name: "sum", type: "float32" },
    ],
    inits,
  );
  await check(
    [{ op: "SkipSimplifiedLayerNormalization", domain: MS, inputs: ["x", "skip", "gamma"], outputs: ["y"] }],
    { x: { shape: [1, 4, 16] }, skip: { shape: [1, 4, 16] } },
    [{ name: "y", type: "float32" }],
    inits,
  );
});

test("MatMulNBits (4-bit, blocks of 16, packed zero points, bias) matches onnxruntime", { skip }, async () => {
  const [n, k, block] = [6, 40, 16];
  const blocks = Math.ceil(k / block);
  const bytes = Array.from({ length: n * blocks * (block / 2) }, (_, i) => (i * 37 + 11) % 256);
  const scales = Array.from(seeded(n * blocks, 9, 0.1));
  const zps = Array.from({ length: n * Math.ceil(blocks / 2) }, (_, i) => (i * 53 + 7) % 256);
  const inits = [
    { ...initializer("B", bytes, [n, blocks, block / 2], "bool"), dataType: 2 },
    initializer("scales", scales, [n * blocks]),
    { ...initializer("zp", zps, [n * Math.ceil(blocks / 2)], "bool"), dataType: 2 },
    initializer("bias", Array.from(seeded(n, 4)), [n]),
  ];
  const attrs = { K: k, N: n, bits: 4, block_size: block };
  await check(
    [{ op: "MatMulNBits", domain: MS, inputs: ["a", "B", "scales", "zp", "", "bias"], outputs: ["y"], attrs }],
    { a: { shape: [2, 3, k] } },
    [{ name: "y", type: "float32" }],
    inits,
  );
  await check(
    [{ op: "MatMulNBits", domain: MS, inputs: ["a", "B", "scales"], outputs: ["y"], attrs }],
    { a: { shape: [5, k] } },
    [{ name: "y", type: "float32" }],
    inits,
  );
});

test("MultiHeadAttention (packed bias, unidirectional) matches onnxruntime", { skip }, async () => {
  const bias = initializer("bias", Array.from(seeded(24, 8, 0.5)), [24]);
  for (const unidirectional of [0, 1]) {
    await check(
      [{ op: "MultiHeadAttention", domain: MS, inputs: ["q", "k", "v", "bias"], outputs: ["y"], attrs: { num_heads: 2, unidirectional } }],
      { q: { shape: [2, 3, 8] }, k: { shape: [2, 3, 8] }, v: { shape: [2, 3, 8] } },
      [{ name: "y", type: "float32" }],
      [bias],
    );
  }
});

test("DynamicQuantizeLinear and MatMulInteger (dynamic int8 quantisation) match onnxruntime", { skip }, async () => {
  await check(
    [{ op: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["q", "scale", "zp"] }],
    { x: { shape: [3, 5] } },
    [
      { name: "q", type: "uint8" },
      { name: "scale", type: "float32" },
      { name: "zp", type: "uint8" },
    ],
    [],
    1e-6,
  );
  const w = {
    ...initializer(
      "w",
      Array.from({ length: 20 }, (_, i) => (i * 71 + 3) % 256),
      [5, 4],
      "bool",
    ),
    dataType: 2,
  };
  const wzp = { ...initializer("wzp", [128], [], "bool"), dataType: 2 };
  await check(
    [
      { op: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["q", "scale", "zp"] },
      { op: "MatMulInteger", inputs: ["q", "w", "zp", "wzp"], outputs: ["y"] },
    ],
    { x: { shape: [3, 5] } },
    [{ name: "y", type: "int32" }],
    [w, wzp],
    0,
  );
});

/** A quantised activation read by two MatMulIntegers, as Q/K/V projections read one. */
function sharedActivationModel(): Uint8Array {
  const weight = (name: string, step: number) => ({
    ...initializer(
      name,
      Array.from({ length: 20 }, (_, i) => (i * step + 3) % 256),
      [5, 4],
      "bool",
    ),
    dataType: 2,
  });
  return buildModel({
    opset: 17,
    inputs: [{ name: "x", type: "float32", shape: [3, 5] }],
    outputs: [
      { name: "y1", type: "int32" },
      { name: "y2", type: "int32" },
    ],
    nodes: [
      { op: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["q", "scale", "zp"] },
      { op: "MatMulInteger", inputs: ["q", "w1", "zp", "wzp"], outputs: ["y1"] },
      { op: "MatMulInteger", inputs: ["q", "w2", "zp", "wzp"], outputs: ["y2"] },
    ],
    initializers: [weight("w1", 71), weight("w2", 37), { ...initializer("wzp", [128], [], "bool"), dataType: 2 }],
  });
}

test("MatMulIntegers that read the same quantised activation read it as it is, with no float copy", () => {
  const graph = importOnnx(sharedActivationModel());
  const matmuls = graph.nodes.filter((n) => n.op === "integerMatmul");
  assert.equal(matmuls.length, 2);
  assert.equal(matmuls[0]!.inputs[0], "q");
  assert.equal(matmuls[1]!.inputs[0], "q");
  assert.equal(graph.nodes.filter((n) => n.op === "cast" && n.inputs[0] === "q").length, 0);
});

test("MatMulIntegers sharing a quantised activation match onnxruntime exactly", { skip }, async () => {
  const model = sharedActivationModel();
  const x = seeded(15, 5, 2);
  const got = await runOnnx(model, { x: { data: x, shape: [3, 5] } });
  await expectLikeOnnxruntime(model, { x: { data: x, shape: [3, 5], type: "float32" } }, got, 0);
});

test("RotaryEmbedding (3-D and 4-D, halves and interleaved, position ids and an offset) matches onnxruntime", { skip }, async () => {
  const angles = (fn: (a: number) => number) => Array.from({ length: 8 * 4 }, (_, i) => fn((Math.floor(i / 4) * 0.7) / 10 ** ((i % 4) / 4)));
  const caches = [initializer("cos", angles(Math.cos), [8, 4]), initializer("sin", angles(Math.sin), [8, 4])];
  const ids = initializer("pos", [0, 1, 2, 5, 6, 7], [2, 3], "int64");
  const offset = initializer("offset", [3], [1], "int64");
  for (const interleaved of [0, 1]) {
    await check(
      [{ op: "RotaryEmbedding", domain: MS, inputs: ["x", "pos", "cos", "sin"], outputs: ["y"], attrs: { interleaved, num_heads: 2 } }],
      { x: { shape: [2, 3, 16] } },
      [{ name: "y", type: "float32" }],
      [...caches, ids],
    );
    await check(
      [{ op: "RotaryEmbedding", domain: MS, inputs: ["x", "offset", "cos", "sin"], outputs: ["y"], attrs: { interleaved } }],
      { x: { shape: [1, 2, 3, 8] } },
      [{ name: "y", type: "float32" }],
      [...caches, offset],
    );
  }
});
