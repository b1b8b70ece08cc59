import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel, initializer } from "../testing/model-builder.ts";
import { ort } from "../testing/onnxruntime.ts";

/**
 * A BERT encoder layer the way onnxruntime's transformer optimiser leaves it — EmbedLayerNormalization
 * → Attention (its mask_index from the embedding) → SkipLayerNormalization → MatMul/FastGelu →
 * SkipLayerNormalization — with a dynamic sequence length, run at two lengths in one session and
 * compared with onnxruntime-node.
 */
const skip = ort ? false : "onnxruntime-node is not installed";
const MS = "com.microsoft";

function seeded(n: number, seed: number, scale = 1): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31 - 0.5) * 2 * scale;
  });
}

const H = 8;
const weights = [
  initializer("words", seeded(30 * H, 1), [30, H]),
  initializer("positions", seeded(16 * H, 2), [16, H]),
  initializer("segments", seeded(2 * H, 3), [2, H]),
  initializer("g0", seeded(H, 4), [H]),
  initializer("b0", seeded(H, 5), [H]),
  initializer("wqkv", seeded(H * 3 * H, 6, 0.5), [H, 3 * H]),
  initializer("bqkv", seeded(3 * H, 7, 0.1), [3 * H]),
  initializer("wo", seeded(H * H, 8, 0.5), [H, H]),
  initializer("bo", seeded(H, 9, 0.1), [H]),
  initializer("g1", seeded(H, 10), [H]),
  initializer("b1", seeded(H, 11), [H]),
  initializer("w1", seeded(H * 16, 12, 0.5), [H, 16]),
  initializer("bf1", seeded(16, 13, 0.1), [16]),
  initializer("w2", seeded(16 * H, 14, 0.5), [16, H]),
  initializer("bf2", seeded(H, 15, 0.1), [H]),
  initializer("g2", seeded(H, 16), [H]),
  initializer("b2", seeded(H, 17), [H]),
];

const model = buildModel({
  opset: 17,
  domains: { [MS]: 1 },
  inputs: ["ids", "segs", "mask"].map((name) => ({ name, type: "int32" as const, shape: [2, "seq"] })),
  outputs: [{ name: "out", type: "float32" }],
  nodes: [
    {
      op: "EmbedLayerNormalization",
      domain: MS,
      inputs: ["ids", "segs", "words", "positions", "segments", "g0", "b0", "mask"],
      outputs: ["emb", "mask_index"],
      attrs: { epsilon: { float: 1e-12 } },
    },
    { op: "Attention", domain: MS, inputs: ["emb", "wqkv", "bqkv", "mask_index"], outputs: ["att"], attrs: { num_heads: 2 } },
    { op: "MatMul", inputs: ["att", "wo"], outputs: ["proj"] },
    { op: "SkipLayerNormalization", domain: MS, inputs: ["proj", "emb", "g1", "b1", "bo"], outputs: ["h1"] },
    { op: "MatMul", inputs: ["h1", "w1"], outputs: ["f1"] },
    { op: "FastGelu", domain: MS, inputs: ["f1", "bf1"], outputs: ["act"] },
    { op: "MatMul", inputs: ["act", "w2"], outputs: ["f2"] },
    { op: "SkipLayerNormalization", domain: MS, inputs: ["f2", "h1", "g2", "b2", "bf2"], outputs: ["out"] },
  ],
  initializers: weights,
});

test("an optimised BERT layer of contrib ops runs at two sequence lengths in one session, matching onnxruntime", { skip }, async () => {
  const session = await OnnxSession.create(model, { device: "cpu" });
  const reference = await ort!.InferenceSession.create(model);
  try {
    for (const [seq, lengths] of [
      [5, [5, 3]],
      [9, [7, 9]],
    ] as const) {
      const ids = Int32Array.from({ length: 2 * seq }, (_, i) => (i * 7 + 3) % 30);
      const segs = Int32Array.from({ length: 2 * seq }, (_, i) => (i % seq >= 2 ? 1 : 0));
      const mask = Int32Array.from({ length: 2 * seq }, (_, i) => (i % seq < lengths[Math.floor(i / seq)]! ? 1 : 0));
      const shape = [2, seq];
      const got = await session.run({
        ids: { data: ids, shape, dtype: "int32" },
        segs: { data: segs, shape, dtype: "int32" },
        mask: { data: mask, shape, dtype: "int32" },
      });
      const want = await reference.run({
        ids: new ort!.Tensor("int32", ids, shape),
        segs: new ort!.Tensor("int32", segs, shape),
        mask: new ort!.Tensor("int32", mask, shape),
      });
      assert.deepEqual(got.out!.shape, [2, seq, H]);
      const w = want.out!.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got.out!.data[i]! - w[i]!));
      assert.ok(worst <= 1e-4, `sequence ${seq}: max |polychip − onnxruntime| = ${worst}`);
    }
    assert.equal(session.planCount, 2, "one plan per sequence length");
  } finally {
    session.dispose();
    await reference.release();
  }
});
