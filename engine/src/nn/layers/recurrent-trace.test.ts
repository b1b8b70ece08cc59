import { test } from "node:test";
import assert from "node:assert/strict";
import { trace } from "../../trace/trace.ts";
import { assertClose } from "../../golden/fixtures.ts";
import { manualSeed, noGrad, randn } from "../../index.ts";
import { execute } from "../../runtime.ts";
import { LSTM } from "./recurrent.ts";

test("a traced two-layer bidirectional LSTM runs in the lean runtime with the eager numbers", async () => {
  manualSeed(21);
  const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true }).eval();
  const x = randn([2, 5, 3]);
  const graph = await trace(lstm, [x]);
  assert.ok(
    graph.nodes.some((n) => n.op === "matmul"),
    "the cells are traced as engine ops",
  );
  const expected = noGrad(() => lstm.forward(x));
  const got = (await execute(graph, { input: { data: await x.data(), shape: x.shape } }, { device: "cpu" })).output!;
  assert.deepEqual(got.shape, expected.shape);
  assertClose(got.data, Array.from(await expected.data()), { rtol: 1e-5, atol: 1e-6 }, "traced output");
});

test("dropout between layers acts only while training", async () => {
  manualSeed(22);
  const lstm = new LSTM(3, 8, { numLayers: 2, dropout: 0.5 });
  const plain = new LSTM(3, 8, { numLayers: 2 });
  plain.loadStateDict(lstm.stateDict());
  const x = randn([4, 2, 3]);
  const reference = Array.from(await plain.forward(x).data());
  const training = Array.from(await lstm.forward(x).data());
  assert.ok(
    training.some((v, i) => Math.abs(v - reference[i]!) > 1e-4),
    "training output differs from the dropout-free one",
  );
  lstm.eval();
  assertClose(await lstm.forward(x).data(), reference, { rtol: 0, atol: 1e-6 }, "eval output");
});
