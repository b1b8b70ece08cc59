import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadTrainingCheckpoint, setDefaultDevice } from "@polychip/engine";
import { CharGpt, CharVocabulary, sampleGpt, trainGpt, trainGptCommand } from "./gpt-model.ts";

setDefaultDevice("cpu");

const TEXT =
  "the chip reads the weights, the chip multiplies, the chip adds.\nthe host waits for nothing: it queues the work and reads the answer later.\n".repeat(4);
// Recorded on cpu (seed 1): the loss starts near ln(vocab) = 3.3 and reaches ~0.9 by step 60.
const LOSS_BAR = 1.3;

test("the character GPT's loss falls below the recorded bar within 60 steps", async () => {
  const r = await trainGpt({ text: TEXT, steps: 60, batchSize: 8, blockSize: 24, dim: 32, heads: 4, layers: 1, seed: 1 });
  const tail = r.losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
  assert.ok(r.losses[0]! > 3, `first loss ${r.losses[0]}`);
  assert.ok(tail < LOSS_BAR, `mean of the last 5 losses ${tail} is not below ${LOSS_BAR}`);
  const sample = await sampleGpt(r.model, r.vocab, "the ", 30);
  assert.equal(sample.length, 30);
  assert.ok([...sample].every((c) => r.vocab.chars.includes(c)));
  r.model.dispose();
});

test("train --model gpt: trains on a text file, prints samples, saves a checkpoint that loads into the same model", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gpt-"));
  const textFile = join(dir, "text.txt");
  writeFileSync(textFile, TEXT);
  const out = join(dir, "gpt.pcck");
  const r = await trainGptCommand({ text: textFile, steps: 4, device: "cpu", seed: 3, out, samples: 1, json: true });
  assert.equal(r.samples.length, 1);
  const vocab = CharVocabulary.fromText(TEXT);
  const model = new CharGpt({ vocabSize: vocab.size, blockSize: 32, dim: 48, heads: 4, layers: 2 });
  const { extra } = loadTrainingCheckpoint(new Uint8Array(readFileSync(out)), { model });
  assert.deepEqual(extra.vocab, vocab.chars);
  assert.equal((extra as { model: string }).model, "gpt");
});

test("characters outside the vocabulary and texts too short are refused", async () => {
  assert.throws(() => CharVocabulary.fromText("abc").encode("abd"), /character "d" is not in the vocabulary/);
  await assert.rejects(trainGpt({ text: "ab", steps: 1 }), /too short to train on \(2 characters\)/);
});
