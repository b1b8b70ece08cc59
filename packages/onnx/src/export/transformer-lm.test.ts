import assert from "node:assert/strict";
import { test } from "node:test";
import { arange, manualSeed, nn, noGrad, setDefaultDevice, tensor, type Tensor } from "@polychip/engine";
import { optimize, trace } from "@polychip/engine/graph";
import { loadOnnxRuntime } from "../testing/onnxruntime.ts";
import { exportOnnx } from "./exporter.ts";

setDefaultDevice("cpu");
const ort = await loadOnnxRuntime();
const [VOCAB, BLOCK, DIM] = [12, 8, 16];

/** The shape of `polychip train --model gpt`'s model: embeddings, pre-norm causal encoder layers, a head. */
class TinyLm extends nn.Module {
  tokens = new nn.Embedding(VOCAB, DIM);
  positions = new nn.Embedding(BLOCK, DIM);
  blocks = new nn.TransformerEncoder(
    () => new nn.TransformerEncoderLayer(DIM, 2, { dimFeedforward: 4 * DIM, dropout: 0, activation: "gelu", batchFirst: true, normFirst: true }),
    2,
    new nn.LayerNorm(DIM),
  );
  head = new nn.Linear(DIM, VOCAB);

  forward(ids: Tensor): Tensor {
    const x = this.tokens.call(ids).add(this.positions.call(arange(0, BLOCK, 1)));
    return this.head.call(this.blocks.encode(x, { isCausal: true }));
  }
}

test("a causal transformer traced for any batch runs in onnxruntime-node equal to eager within 1e-5", {
  skip: !ort && "onnxruntime-node is not installed",
}, async () => {
  manualSeed(3);
  const model = new TinyLm();
  const example = tensor(new Int32Array(3 * BLOCK), { shape: [3, BLOCK] });
  const bytes = exportOnnx(await optimize(await trace(model, [example], { dynamicBatch: true })));
  const session = await ort!.InferenceSession.create(bytes);
  for (const batch of [1, 4]) {
    const ids = Int32Array.from({ length: batch * BLOCK }, (_, i) => (i * 5 + batch) % VOCAB);
    const theirs = (await session.run({ input: new ort!.Tensor("int32", ids, [batch, BLOCK]) })).output!;
    const eager = await noGrad(() => model.call(tensor(ids, { shape: [batch, BLOCK] }))).data();
    assert.deepEqual([...theirs.dims], [batch, BLOCK, VOCAB]);
    const got = theirs.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < eager.length; i++) worst = Math.max(worst, Math.abs(got[i]! - eager[i]!));
    assert.ok(worst <= 1e-5, `batch ${batch}: onnxruntime differs from eager by ${worst}`);
  }
  await session.release();
  model.dispose();
});
