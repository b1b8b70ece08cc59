import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError } from "@polychip/hal";
import { OnnxSession } from "../session.ts";
import { importOnnx } from "./importer.ts";
import { runOnnx } from "../testing/run-model.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { expectLikeOnnxruntime, ort, type OrtFeed } from "../testing/onnxruntime.ts";

/** com.microsoft transformer operators against onnxruntime-node: the attention family (GroupQueryAttention, MultiHeadAttention with masks and past state, Attention) and BERT's EmbedLayerNormalization. */
const skip = ort ? false : "onnxruntime-node is not installed";
const MS = "com.microsoft";

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31 - 0.5) * 2;
  });
}

/** An input: float32 values (seeded when absent), or integers fed as int32, or as int64 (`int64: true`; int32 in Polychip). */
type Input = { shape: number[]; int?: number[]; int64?: boolean; data?: Float32Array };

/** Runs one node in an OnnxSession (run-time values such as seqlens_k computed per run) and in onnxruntime; outputs are float32 unless listed in `intOutputs`. */
async function check(
  node: NodeSpec,
  inputs: Record<string, Input>,
  outputs: string[],
  initializers: Parameters<typeof buildModel>[0]["initializers"] = [],
  intOutputs: string[] = [],
) {
  const model = buildModel({
    opset: 17,
    domains: { [MS]: 1 },
    inputs: Object.entries(inputs).map(([name, v]) => ({
      name,
      type: v.int ? (v.int64 ? ("int64" as const) : ("int32" as const)) : ("float32" as const),
      shape: v.shape,
    })),
    outputs: outputs.map((name) => ({ name, type: intOutputs.includes(name) ? ("int32" as const) : ("float32" as const) })),
    nodes: [{ ...node, domain: MS }],
    initializers,
  });
  const feeds: Record<string, OrtFeed> = {};
  Object.entries(inputs).forEach(([name, v], i) => {
    const n = v.shape.reduce((a, b) => a * b, 1);
    feeds[name] = v.int
      ? v.int64
        ? { data: BigInt64Array.from(v.int, BigInt), shape: v.shape, type: "int64" }
        : { data: Int32Array.from(v.int), shape: v.shape, type: "int32" }
      : { data: v.data ?? seeded(n, 11 + i), shape: v.shape, type: "float32" };
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  try {
    const got = await session.run(
      Object.fromEntries(
        Object.entries(feeds).map(([k, f]) => [
          k,
          f.type === "int64"
            ? { data: Int32Array.from(f.data as BigInt64Array, Number), shape: f.shape, dtype: "int32" as const }
            : { data: f.data as Float32Array | Int32Array, shape: f.shape, dtype: f.type as "float32" | "int32" },
        ]),
      ),
    );
    await expectLikeOnnxruntime(model, feeds, got, 1e-4);
  } finally {
    session.dispose();
  }
}

/**
 * A GroupQueryAttention node with 4 query heads sharing 2 key/value heads of size `head`
 * (onnxruntime's CPU kernel needs a multiple of 8, and of 16 with rotary embedding).
 */
function gqa(
  b: number,
  s: number,
  past: number,
  seqlens: number[],
  total: number,
  attrs: NodeSpec["attrs"] = {},
  extra: Record<string, Input> = {},
  head = 8,
  /** The node's inputs after total_sequence_length ("" for an absent one); default: the extra inputs in order. */
  slots: string[] = Object.keys(extra),
) {
  const inputs: Record<string, Input> = {
    q: { shape: [b, s, 4 * head] },
    k: { shape: [b, s, 2 * head] },
    v: { shape: [b, s, 2 * head] },
    ...(past ? { pk: { shape: [b, 2, past, head] }, pv: { shape: [b, 2, past, head] } } : {}),
    seqlens: { shape: [b], int: seqlens },
    total: { shape: [], int: [total] },
    ...extra,
  };
  const names = ["q", "k", "v", past ? "pk" : "", past ? "pv" : "", "seqlens", "total", ...slots];
  const node: NodeSpec = {
    op: "GroupQueryAttention",
    inputs: names,
    outputs: ["y", "present_key", "present_value"],
    attrs: { num_heads: 4, kv_num_heads: 2, ...attrs },
  };
  return check(node, inputs, ["y", "present_key", "present_value"]);
}

test("GroupQueryAttention on a prompt (no past) matches onnxruntime, outputs and present key/value", { skip }, async () => {
  await gqa(2, 3, 0, [2, 2], 3);
  await gqa(2, 3, 0, [2, 1], 3);
});

test("GroupQueryAttention decoding one token after a past cache matches onnxruntime", { skip }, async () => {
  await gqa(2, 1, 3, [3, 3], 4);
});

test("GroupQueryAttention appending a two-token chunk to a past cache matches onnxruntime", { skip }, async () => {
  await gqa(1, 2, 3, [4], 5);
});

test("GroupQueryAttention with ragged past lengths per batch entry matches onnxruntime", { skip }, async () => {
  await gqa(2, 1, 4, [4, 2], 5);
});

test("GroupQueryAttention with packed [Q|K|V] input matches onnxruntime", { skip }, async () => {
  const node: NodeSpec = {
    op: "GroupQueryAttention",
    inputs: ["qkv", "", "", "pk", "pv", "seqlens", "total"],
    outputs: ["y", "present_key", "present_value"],
    attrs: { num_heads: 4, kv_num_heads: 2 },
  };
  await check(
    node,
    { qkv: { shape: [1, 1, 64] }, pk: { shape: [1, 2, 2, 8] }, pv: { shape: [1, 2, 2, 8] }, seqlens: { shape: [1], int: [2] }, total: { shape: [], int: [3] } },
    ["y", "present_key", "present_value"],
  );
});

test("GroupQueryAttention with rotary embedding (half and interleaved) matches onnxruntime", { skip }, async () => {
  const angles = (f: (a: number) => number) => Float32Array.from({ length: 16 * 8 }, (_, i) => f(Math.floor(i / 8) / 10000 ** ((i % 8) / 8)));
  const caches = { cos: { shape: [16, 8], data: angles(Math.cos) }, sin: { shape: [16, 8], data: angles(Math.sin) } };
  for (const rotary_interleaved of [0, 1]) {
    await gqa(1, 3, 0, [2], 3, { do_rotary: 1, rotary_interleaved }, caches, 16);
    await gqa(2, 1, 3, [3, 3], 4, { do_rotary: 1, rotary_interleaved }, caches, 16);
  }
});

test("GroupQueryAttention with rotary embedding at given position ids matches onnxruntime", { skip }, async () => {
  const angles = (f: (a: number) => number) => Float32Array.from({ length: 16 * 8 }, (_, i) => f(Math.floor(i / 8) / 10000 ** ((i % 8) / 8)));
  const caches = { cos: { shape: [16, 8], data: angles(Math.cos) }, sin: { shape: [16, 8], data: angles(Math.sin) } };
  const node = (past: boolean): NodeSpec => ({
    op: "GroupQueryAttention",
    inputs: ["q", "k", "v", past ? "pk" : "", past ? "pv" : "", "seqlens", "total", "cos", "sin", "pos"],
    outputs: ["y", "present_key", "present_value"],
    attrs: { num_heads: 4, kv_num_heads: 2, do_rotary: 1 },
  });
  const qkv = (b: number, s: number) => ({ q: { shape: [b, s, 64] }, k: { shape: [b, s, 32] }, v: { shape: [b, s, 32] } });
  const outputs = ["y", "present_key", "present_value"];
  // A prompt reads only the first position id and counts on from it, for every batch entry.
  const prompt = { ...qkv(2, 3), seqlens: { shape: [2], int: [2, 2] }, total: { shape: [], int: [3] }, ...caches };
  await check(node(false), { ...prompt, pos: { shape: [2, 3], int: [4, 2, 7, 1, 1, 1], int64: true } }, outputs);
  const past = { pk: { shape: [2, 2, 3, 16] }, pv: { shape: [2, 2, 3, 16] } };
  await check(
    node(true),
    {
      ...qkv(2, 1),
      ...past,
      seqlens: { shape: [2], int: [3, 3] },
      total: { shape: [], int: [4] },
      ...caches,
      pos: { shape: [2, 1], int: [5, 9], int64: true },
    },
    outputs,
  );
});

test("GroupQueryAttention with a local window, softcap and bidirectional attention matches onnxruntime", { skip }, async () => {
  await gqa(1, 5, 0, [4], 5, { local_window_size: 2 });
  await gqa(1, 1, 4, [4], 5, { local_window_size: 2 });
  await gqa(1, 4, 0, [3], 4, { softcap: { float: 0.5 } });
  await gqa(1, 3, 0, [2], 3, { causal: 0 });
});

test("GroupQueryAttention with smooth softmax matches onnxruntime", { skip }, async () => {
  await gqa(1, 3, 0, [2], 3, { smooth_softmax: 1 });
  await gqa(2, 1, 3, [3, 3], 4, { smooth_softmax: 1 });
});

test("GroupQueryAttention with per-head softmax sinks (head_sink) matches onnxruntime, on a prompt and after a past cache", { skip }, async () => {
  const sinks = (values: number[]) => ({ sink: { shape: [4], data: Float32Array.from(values) } });
  const slot11 = ["", "", "", "", "sink"];
  await gqa(1, 3, 0, [2], 3, {}, sinks([1, 2, -1, 0.5]), 8, slot11);
  await gqa(2, 1, 3, [3, 2], 4, {}, sinks([0.25, -2, 3, 0]), 8, slot11);
  // head_sink takes precedence over smooth_softmax, and a very negative sink is no sink at all.
  await gqa(1, 2, 2, [3], 4, { smooth_softmax: 1 }, sinks([1, 2, -1, 0.5]), 8, slot11);
  await gqa(1, 3, 0, [2], 3, { local_window_size: 1 }, sinks([-100, 0, 100, 1]), 8, slot11);
});

/** One token of 4 query heads and 2 key/value heads of 8. */
const oneTokenQkv = [
  { name: "q", type: "float32" as const, shape: [1, 1, 32] },
  { name: "k", type: "float32" as const, shape: [1, 1, 16] },
  { name: "v", type: "float32" as const, shape: [1, 1, 16] },
];

test("GroupQueryAttention refuses a head_sink that is not one value per query head", () => {
  const model = buildModel({
    opset: 17,
    domains: { [MS]: 1 },
    inputs: [...oneTokenQkv, { name: "sink", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      {
        op: "GroupQueryAttention",
        domain: MS,
        inputs: ["q", "k", "v", "", "", "seqlens", "total", "", "", "", "", "sink"],
        outputs: ["y"],
        attrs: { num_heads: 4, kv_num_heads: 2 },
      },
    ],
    initializers: [initializer("seqlens", [0], [1], "int32"), initializer("total", [1], [], "int32")],
  });
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e instanceof ShapeError && /head_sink \[2\] must be \[num_heads\] = \[4\]/.test(e.message),
  );
});

test("GroupQueryAttention refuses seqlens_k that do not fit the past and total lengths", async () => {
  const model = buildModel({
    opset: 17,
    domains: { [MS]: 1 },
    inputs: [
      ...oneTokenQkv,
      { name: "pk", type: "float32", shape: [1, 2, 2, 8] },
      { name: "pv", type: "float32", shape: [1, 2, 2, 8] },
      { name: "seqlens", type: "int32", shape: [1] },
      { name: "total", type: "int32", shape: [] },
    ],
    outputs: [{ name: "y", type: "float32" }],
    nodes: [
      {
        op: "GroupQueryAttention",
        domain: MS,
        inputs: ["q", "k", "v", "pk", "pv", "seqlens", "total"],
        outputs: ["y"],
        attrs: { num_heads: 4, kv_num_heads: 2 },
      },
    ],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  const f = (n: number) => new Float32Array(n);
  await assert.rejects(
    session.run({
      q: { data: f(32), shape: [1, 1, 32] },
      k: { data: f(16), shape: [1, 1, 16] },
      v: { data: f(16), shape: [1, 1, 16] },
      pk: { data: f(32), shape: [1, 2, 2, 8] },
      pv: { data: f(32), shape: [1, 2, 2, 8] },
      seqlens: { data: Int32Array.of(7), shape: [1], dtype: "int32" },
      total: { data: Int32Array.of(8), shape: [], dtype: "int32" },
    }),
    (e: Error) => e instanceof ShapeError && /seqlens_k\[0\] = 7 does not fit 1 new tokens, 2 past rows/.test(e.message),
  );
  session.dispose();
});

/** MultiHeadAttention, 2 heads of 4, query length 3. */
function mha(inputs: Record<string, Input>, names: string[], attrs: NodeSpec["attrs"] = {}, outputs = ["y"]) {
  const node: NodeSpec = { op: "MultiHeadAttention", inputs: names, outputs, attrs: { num_heads: 2, ...attrs } };
  return check(node, inputs, outputs, [initializer("bias", Array.from(seeded(24, 8)), [24])]);
}
const qkv = (b: number, s: number, l: number) => ({ q: { shape: [b, s, 8] }, k: { shape: [b, l, 8] }, v: { shape: [b, l, 8] } });

test("MultiHeadAttention with a (batch, total) and a (batch, sequence, total) key padding mask matches onnxruntime", { skip }, async () => {
  await mha({ ...qkv(2, 3, 4), mask: { shape: [2, 4], int: [1, 1, 1, 0, 1, 1, 0, 0] } }, ["q", "k", "v", "bias", "mask"]);
  const mask3 = Array.from({ length: 2 * 3 * 4 }, (_, i) => ((i * 7) % 5 === 0 ? 0 : 1));
  await mha({ ...qkv(2, 3, 4), mask: { shape: [2, 3, 4], int: mask3 } }, ["q", "k", "v", "", "mask"]);
});

test("MultiHeadAttention with key lengths per batch entry and an attention bias matches onnxruntime", { skip }, async () => {
  await mha({ ...qkv(2, 3, 4), lengths: { shape: [2], int: [3, 2] } }, ["q", "k", "v", "bias", "lengths"]);
  await mha({ ...qkv(2, 3, 4), ab: { shape: [1, 2, 3, 4] } }, ["q", "k", "v", "bias", "", "ab"]);
});

test("MultiHeadAttention with past key/value returns present key/value and matches onnxruntime", { skip }, async () => {
  const past = { pk: { shape: [2, 2, 5, 4] }, pv: { shape: [2, 2, 5, 4] } };
  for (const unidirectional of [0, 1])
    await mha({ ...qkv(2, 3, 3), ...past }, ["q", "k", "v", "bias", "", "", "pk", "pv"], { unidirectional }, ["y", "present_key", "present_value"]);
  await mha(
    { ...qkv(2, 1, 1), ...past, mask: { shape: [2, 6], int: [1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1] } },
    ["q", "k", "v", "bias", "mask", "", "pk", "pv"],
    {},
    ["y", "present_key", "present_value"],
  );
});

test("MultiHeadAttention with heads-first key and value (a cross-attention cache) matches onnxruntime", { skip }, async () => {
  for (const withBias of [false, true]) {
    const b = withBias ? "bias" : "";
    await mha({ q: { shape: [2, 3, 8] }, k: { shape: [2, 2, 5, 4] }, v: { shape: [2, 2, 5, 4] } }, ["q", "k", "v", b]);
  }
  await mha({ q: { shape: [2, 3, 8] }, k: { shape: [2, 2, 5, 4] }, v: { shape: [2, 2, 5, 4] }, mask: { shape: [2], int: [5, 2] } }, [
    "q",
    "k",
    "v",
    "",
    "mask",
  ]);
});

test("MultiHeadAttention's packed Q|K|V and K|V forms equal the separate form in onnxruntime (whose CPU kernel has no packed forms)", { skip }, async () => {
  const [b, n, h] = [2, 2, 4];
  const s = 3;
  const [q, k, v] = [1, 2, 3].map((seed) => seeded(b * s * n * h, seed));
  /** [B, S, heads·head] tensors interleaved into [B, S, heads, parts, head]. */
  const pack = (parts: Float32Array[]) =>
    Float32Array.from({ length: parts.length * b * s * n * h }, (_, i) => {
      const within = i % h;
      const part = Math.floor(i / h) % parts.length;
      const row = Math.floor(i / (h * parts.length));
      return parts[part]![row * h + within]!;
    });
  const node = (inputs: string[]) => ({ op: "MultiHeadAttention", domain: MS, inputs, outputs: ["y"], attrs: { num_heads: n } });
  const model = (inputs: { name: string; shape: number[] }[], names: string[]) =>
    buildModel({
      opset: 17,
      domains: { [MS]: 1 },
      inputs: inputs.map((i) => ({ ...i, type: "float32" as const })),
      outputs: [{ name: "y", type: "float32" }],
      nodes: [node(names)],
      initializers: [initializer("bias", Array.from(seeded(24, 8)), [24])],
    });
  const flat = [b, s, n * h];
  const separate = model(
    ["q", "k", "v"].map((name) => ({ name, shape: flat })),
    ["q", "k", "v", "bias"],
  );
  const session = await ort!.InferenceSession.create(separate);
  const want = (
    await session.run({ q: new ort!.Tensor("float32", q!, flat), k: new ort!.Tensor("float32", k!, flat), v: new ort!.Tensor("float32", v!, flat) })
  ).y!.data as Float32Array;
  await session.release();
  const qkv = await runOnnx(model([{ name: "qkv", shape: [b, s, n, 3, h] }], ["qkv", "", "", "bias"]), {
    qkv: { data: pack([q!, k!, v!]), shape: [b, s, n, 3, h] },
  });
  const kv = await runOnnx(
    model(
      [
        { name: "q", shape: flat },
        { name: "kv", shape: [b, s, n, 2, h] },
      ],
      ["q", "kv", "", "bias"],
    ),
    { q: { data: q!, shape: flat }, kv: { data: pack([k!, v!]), shape: [b, s, n, 2, h] } },
  );
  for (const got of [qkv, kv]) got.y!.data.forEach((x, i) => assert.ok(Math.abs(x - want[i]!) <= 1e-5, `y[${i}]: ${x} vs onnxruntime ${want[i]}`));
});

/** com.microsoft Attention: input [2, 3, 6] projected by weights [6, 24] (+ bias) into 2 heads of 4. */
function selfAttention(inputs: Record<string, Input>, names: string[], attrs: NodeSpec["attrs"] = {}, outputs = ["y"]) {
  const node: NodeSpec = { op: "Attention", inputs: ["x", "w", ...names], outputs, attrs: { num_heads: 2, ...attrs } };
  return check(node, { x: { shape: [2, 3, 6] }, ...inputs }, outputs, attentionWeights);
}
const attentionWeights = [
  initializer("w", Array.from(seeded(6 * 24, 4)), [6, 24]),
  initializer("bias", Array.from(seeded(24, 5)), [24]),
  initializer("zeros", new Array(24).fill(0), [24]),
];

test("Attention (fused QKV projection) with bias, unidirectional and a custom scale matches onnxruntime", { skip }, async () => {
  await selfAttention({}, ["bias"]);
  await selfAttention({}, ["bias"], { unidirectional: 1, scale: { float: 0.3 } });
});

test("Attention without a bias equals a zero bias, which matches onnxruntime (its CPU kernel crashes without one)", { skip }, async () => {
  const model = (inputs: string[]) =>
    buildModel({
      opset: 17,
      domains: { [MS]: 1 },
      inputs: [{ name: "x", type: "float32", shape: [2, 3, 6] }],
      outputs: [{ name: "y", type: "float32" }],
      nodes: [{ op: "Attention", domain: MS, inputs, outputs: ["y"], attrs: { num_heads: 2 } }],
      initializers: attentionWeights,
    });
  const x = { data: seeded(36, 9), shape: [2, 3, 6] };
  const [none, zero] = await Promise.all([runOnnx(model(["x", "w"]), { x }), runOnnx(model(["x", "w", "zeros"]), { x })]);
  assert.deepEqual(none.y!.data, zero.y!.data);
  await selfAttention({}, ["zeros"]);
});

test("Attention with a mask_index in each form and an attention bias matches onnxruntime", { skip }, async () => {
  await selfAttention({ mask: { shape: [2], int: [3, 1] } }, ["bias", "mask"]);
  await selfAttention({ mask: { shape: [2, 3], int: [1, 1, 0, 1, 0, 1] } }, ["bias", "mask"]);
  await selfAttention({ mask: { shape: [2, 3, 3], int: [1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0] } }, ["bias", "mask"]);
  await selfAttention({ ab: { shape: [2, 2, 3, 3] } }, ["bias", "", "", "ab"]);
});

test("Attention with past state returns the present state and matches onnxruntime", { skip }, async () => {
  const past = { past: { shape: [2, 2, 2, 4, 4] } };
  await selfAttention(past, ["bias", "", "past"], {}, ["y", "present"]);
  await selfAttention({ ...past, mask: { shape: [2, 7], int: [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0] } }, ["bias", "mask", "past"], { unidirectional: 1 }, [
    "y",
    "present",
  ]);
});

test("EmbedLayerNormalization (segments, mask index, position ids, the embedding sum) matches onnxruntime", { skip }, async () => {
  const tables = [
    initializer("words", Array.from(seeded(10 * 8, 1)), [10, 8]),
    initializer("positions", Array.from(seeded(6 * 8, 2)), [6, 8]),
    initializer("segments", Array.from(seeded(2 * 8, 3)), [2, 8]),
    initializer("gamma", Array.from(seeded(8, 4)), [8]),
    initializer("beta", Array.from(seeded(8, 5)), [8]),
  ];
  const ids = { ids: { shape: [2, 3], int: [1, 5, 9, 2, 0, 7] }, seg: { shape: [2, 3], int: [0, 0, 1, 0, 1, 1] } };
  const node = (inputs: string[], outputs: string[]): NodeSpec => ({ op: "EmbedLayerNormalization", inputs, outputs, attrs: { epsilon: { float: 1e-5 } } });
  const inputsOf = ["ids", "seg", "words", "positions", "segments", "gamma", "beta"];
  await check(node([...inputsOf, "mask"], ["y", "mask_index"]), { ...ids, mask: { shape: [2, 3], int: [1, 1, 1, 1, 0, 1] } }, ["y", "mask_index"], tables, [
    "mask_index",
  ]);
  await check(node(inputsOf, ["y", "mask_index", "sum"]), ids, ["y", "mask_index", "sum"], tables, ["mask_index"]);
  await check(node([...inputsOf, "", "pos"], ["y", "mask_index"]), { ...ids, pos: { shape: [1, 3], int: [3, 4, 5] } }, ["y", "mask_index"], tables, [
    "mask_index",
  ]);
});
