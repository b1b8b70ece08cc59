import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer, type NodeSpec } from "../testing/model-builder.ts";
import { ort } from "../testing/onnxruntime.ts";

/**
 * TfIdfVectorizer against onnxruntime-node: int64 input counted on the host per run, strings,
 * the three modes with weights, skip-grams, batched rows; and a text pipeline whose counts feed a
 * linear model on the device.
 */
const skip = ort ? false : "onnxruntime-node is not installed";
const STRING = 8;

const POOL_INTS = { pool_int64s: [2, 3, 5, 4, 5, 6, 7, 8, 6, 7], ngram_counts: [0, 4], ngram_indexes: [0, 1, 2, 3, 4, 5, 6] };
const POOL_STRINGS = {
  pool_strings: { strings: ["the", "cat", "straße", "the cat", "", "cat", "the", "cat"] },
  ngram_counts: [0, 4],
  ngram_indexes: [3, 0, 1, 2, 4, 5],
};

async function compare(node: Omit<NodeSpec, "inputs" | "outputs">, x: { shape: number[]; data: number[] | string[] }, device = "cpu", extra: NodeSpec[] = []) {
  const strings = typeof x.data[0] === "string";
  const last = extra.length ? extra[extra.length - 1]!.outputs[0]! : "Y";
  const bytes = buildModel({
    opset: 17,
    inputs: [{ name: "X", type: strings ? STRING : "int64", shape: x.shape }],
    outputs: [{ name: last, type: "float32" }],
    nodes: [{ ...node, inputs: ["X"], outputs: ["Y"] }, ...extra],
    initializers: extra.length ? [initializer("W", [0.5, -1, 2, 0.25, 1, 3, -2], [7, 1]), initializer("B", [0.125], [1])] : [],
  });
  const session = await OnnxSession.create(bytes, { device });
  const feed = strings ? { shape: x.shape, data: x.data as string[] } : { shape: x.shape, data: Int32Array.from(x.data as number[]), dtype: "int32" as const };
  const got = await session.runValues({ X: feed });
  session.dispose();
  const oracle = await ort!.InferenceSession.create(bytes);
  const want = await oracle.run({
    X: strings ? new ort!.Tensor("string", x.data as string[], x.shape) : new ort!.Tensor("int64", BigInt64Array.from(x.data as number[], BigInt), x.shape),
  });
  await oracle.release();
  const g = got[last] as { shape: number[]; data: Float32Array };
  assert.deepEqual([...g.shape], [...want[last]!.dims]);
  Array.from(want[last]!.data as Float32Array).forEach((w, i) => assert.ok(Math.abs(g.data[i]! - w) <= 1e-5, `${last}[${i}]: ${g.data[i]} vs ${w}`));
}

const INTS = { shape: [2, 8], data: [1, 2, 3, 5, 4, 5, 6, 7, 8, 6, 7, 2, 3, 5, 4, 4] };

test("TfIdfVectorizer TF on int64 rows with skip-grams", { skip }, async () => {
  await compare({ op: "TfIdfVectorizer", attrs: { ...POOL_INTS, mode: "TF", min_gram_length: 1, max_gram_length: 2, max_skip_count: 3 } }, INTS);
});

test("TfIdfVectorizer IDF and TFIDF with weights on a 1-D int64 input", { skip }, async () => {
  const weights = { floats: [0.5, 1.5, 2, 0.25, 3, 1, 4] };
  for (const mode of ["IDF", "TFIDF"])
    await compare(
      { op: "TfIdfVectorizer", attrs: { ...POOL_INTS, mode, weights, min_gram_length: 1, max_gram_length: 2, max_skip_count: 1 } },
      { shape: [12], data: [2, 3, 5, 4, 5, 6, 7, 8, 6, 7, 2, 2] },
    );
});

test("TfIdfVectorizer on strings, UTF-8 and empty strings included", { skip }, async () => {
  await compare(
    {
      op: "TfIdfVectorizer",
      attrs: { ...POOL_STRINGS, mode: "TFIDF", weights: { floats: [1, 2, 3, 4, 5, 6] }, min_gram_length: 1, max_gram_length: 2, max_skip_count: 2 },
    },
    { shape: [2, 5], data: ["the", "cat", "", "straße", "the cat", "cat", "the", "cat", "", "x"] },
  );
});

for (const device of ["cpu", "npu-sim"])
  test(`TfIdfVectorizer counts feed a linear model (${device})`, { skip }, async () => {
    await compare({ op: "TfIdfVectorizer", attrs: { ...POOL_INTS, mode: "TF", min_gram_length: 1, max_gram_length: 2, max_skip_count: 0 } }, INTS, device, [
      { op: "MatMul", inputs: ["Y", "W"], outputs: ["M"] },
      { op: "Add", inputs: ["M", "B"], outputs: ["Z"] },
    ]);
  });

test("TfIdfVectorizer on int64 counts per run under one plan", { skip }, async () => {
  const bytes = buildModel({
    opset: 17,
    inputs: [{ name: "X", type: "int64", shape: [4] }],
    outputs: [{ name: "Y", type: "float32" }],
    nodes: [
      { op: "TfIdfVectorizer", inputs: ["X"], outputs: ["Y"], attrs: { ...POOL_INTS, mode: "TF", min_gram_length: 1, max_gram_length: 1, max_skip_count: 0 } },
    ],
  });
  const session = await OnnxSession.create(bytes, { device: "cpu" });
  const first = await session.run({ X: { shape: [4], data: Int32Array.of(2, 2, 3, 9), dtype: "int32" } });
  const second = await session.run({ X: { shape: [4], data: Int32Array.of(5, 4, 4, 4), dtype: "int32" } });
  const plans = session.planCount;
  session.dispose();
  // The counts are a host step's results, fed to the plan: other values reuse the same plans.
  assert.ok(plans <= 2, `${plans} plans`);
  assert.deepEqual(Array.from(first.Y!.data), [2, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(second.Y!.data), [0, 0, 1, 3, 0, 0, 0]);
});
