import assert from "node:assert/strict";
import { test } from "node:test";
import { OnnxSession } from "../session.ts";
import { buildModel } from "../testing/model-builder.ts";

/**
 * Bernoulli and Multinomial draw from Polychip's own generator, so they are checked by their
 * distributions (certain outcomes exactly, frequencies within a few standard deviations) and by
 * a seed repeating its draws (seeds are float attributes, so these are not integers).
 */
async function run(op: string, attrs: Record<string, number>, shape: number[], data: number[], type: "float32" | "int32" = "float32") {
  const model = buildModel({
    opset: 15,
    inputs: [{ name: "x", type: "float32", shape }],
    outputs: [{ name: "y", type }],
    nodes: [{ op, inputs: ["x"], outputs: ["y"], attrs }],
  });
  const session = await OnnxSession.create(model, { device: "cpu" });
  const got = await session.run({ x: { data: Float32Array.from(data), shape } });
  session.dispose();
  return got.y!;
}

test("Bernoulli gives 0 for probability 0, 1 for probability 1 and about p otherwise", async () => {
  const n = 4000;
  const y = await run("Bernoulli", { seed: 3.5 }, [3, n], [...Array(n).fill(0), ...Array(n).fill(1), ...Array(n).fill(0.3)]);
  const row = (r: number) => Array.from(y.data.slice(r * n, (r + 1) * n));
  assert.ok(row(0).every((v) => v === 0));
  assert.ok(row(1).every((v) => v === 1));
  const mean = row(2).reduce((a, b) => a + b, 0) / n;
  assert.ok(Math.abs(mean - 0.3) < 4 * Math.sqrt((0.3 * 0.7) / n), `mean ${mean}`);
});

test("Bernoulli with a seed repeats its draws in a new session", async () => {
  const p = Array.from({ length: 64 }, (_, i) => (i % 8) / 8);
  const a = await run("Bernoulli", { seed: 11.5 }, [64], p);
  const b = await run("Bernoulli", { seed: 11.5 }, [64], p);
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
});

test("Multinomial draws each class about as often as its softmax probability", async () => {
  const n = 4000;
  const logits = [Math.log(0.1), Math.log(0.6), Math.log(0.3), 0, -1e4, 0];
  const y = await run("Multinomial", { sample_size: n, seed: 5.5 }, [2, 3], logits, "int32");
  assert.deepEqual(y.shape, [2, n]);
  const counts = (r: number) => [0, 1, 2].map((c) => Array.from(y.data.slice(r * n, (r + 1) * n)).filter((v) => v === c).length / n);
  [0.1, 0.6, 0.3].forEach((p, c) => assert.ok(Math.abs(counts(0)[c]! - p) < 4 * Math.sqrt((p * (1 - p)) / n), `class ${c}: ${counts(0)[c]}`));
  assert.equal(counts(1)[1], 0, "a class of probability 0 is never drawn");
  assert.ok(Math.abs(counts(1)[0]! - 0.5) < 0.05);
});
