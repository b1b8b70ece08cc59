import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { noGrad, setDefaultDevice, tensor } from "@polychip/engine";
import { createSession } from "@polychip/engine/runtime";
import { exportCommand } from "./commands/export.ts";
import { runCommand } from "./commands/run.ts";
import { gptCheckpoint, trainGpt } from "./gpt-model.ts";
import { loadModel } from "./model-files.ts";
import { inTempDir } from "./testing/temp-dir.ts";
import { writeFileAtomic } from "./files.ts";

setDefaultDevice("cpu");

const TEXT = "the cat sat on the mat. the dog sat on the log. ".repeat(3);

function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "value count");
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Trains 2 steps, writes the checkpoint `train --model gpt` writes, and exports it with `polychip export`. */
async function trainAndExport(dir: string, blockSize: number, layers: number, onnx: boolean) {
  const trained = await trainGpt({ text: TEXT, steps: 2, blockSize, dim: 16, heads: 2, layers });
  const checkpoint = join(dir, "gpt.pcck");
  await writeFileAtomic(checkpoint, await gptCheckpoint(trained, 2));
  const result = await exportCommand({ checkpoint, out: join(dir, "gpt.pcm"), onnx: onnx ? join(dir, "gpt.onnx") : undefined, json: true });
  trained.model.eval();
  return { ...trained, result };
}

test("a GPT trained 2 steps exports to .pcm and .onnx whose logits match the eager model within 1e-5 at any batch size", async () => {
  await inTempDir(async (dir) => {
    const { model, vocab, result } = await trainAndExport(dir, 12, 2, true);
    assert.equal(result.model, "gpt");
    for (const file of [result.out, result.onnx!]) {
      const graph = await loadModel(file);
      assert.deepEqual(graph.inputs[0]!.shape, ["batch", 12], `${file}: input`);
      assert.deepEqual(graph.outputs[0]!.shape, ["batch", 12, vocab.size], `${file}: output`);
      const session = await createSession(graph, { device: "cpu" });
      try {
        for (const batch of [1, 2]) {
          const ids = Int32Array.from({ length: batch * 12 }, (_, i) => (i * 5 + batch) % vocab.size);
          const eager = await noGrad(() => model.call(tensor(ids, { shape: [batch, 12] }))).data();
          const outputs = await session.run({ [graph.inputs[0]!.name]: { shape: [batch, 12], data: Array.from(ids), dtype: "int32" } });
          const worst = worstDifference(Object.values(outputs)[0]!.data, eager);
          assert.ok(worst <= 1e-5, `${file}, batch ${batch}: logits differ from the eager model by ${worst}`);
        }
      } finally {
        session.dispose();
      }
    }
    assert.deepEqual(JSON.parse((await loadModel(result.out)).metadata!.vocab!), vocab.chars, "the vocabulary travels with the graph");
    model.dispose();
  });
});

test("polychip run gives a GPT .pcm's next-token logits for a right-padded prompt", async () => {
  await inTempDir(async (dir) => {
    const { model, vocab, result } = await trainAndExport(dir, 8, 1, false);
    const prompt = vocab.encode("the ca");
    const padded = [...prompt, 0, 0];
    const input = join(dir, "ids.json");
    await writeFile(input, JSON.stringify({ input: { shape: [1, 8], data: padded, dtype: "int32" } }));
    const run = await runCommand({ model: result.out, device: "cpu", input, json: true });
    const logits = run.outputs.output!.data as number[];
    // Causal attention: the logits after the prompt's last character do not see the padding.
    const eager = await noGrad(() => model.call(tensor(prompt, { shape: [1, prompt.length] }))).data();
    const last = (row: ArrayLike<number>, t: number) => Array.from(row).slice(t * vocab.size, (t + 1) * vocab.size);
    assert.ok(worstDifference(last(logits, prompt.length - 1), last(eager, prompt.length - 1)) <= 1e-5);
    model.dispose();
  });
});
