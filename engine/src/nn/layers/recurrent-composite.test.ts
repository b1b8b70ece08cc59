import { test } from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "../../golden/fixtures.ts";
import { manualSeed, noGrad, profiler, randn, type Tensor } from "../../index.ts";
import { GRU, LSTM, RNN } from "./recurrent.ts";

/**
 * Inference (gradients off) runs each layer as one HAL recurrent composite; training runs the
 * cells in engine ops. Both must give the same numbers for the same weights.
 */

const layers = () => [
  { name: "LSTM", make: () => new LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true }), op: "lstm" },
  { name: "GRU", make: () => new GRU(3, 4, { numLayers: 2, bidirectional: true }), op: "gru" },
  { name: "RNN relu without bias", make: () => new RNN(3, 4, { nonlinearity: "relu", bias: false, bidirectional: true }), op: "rnn" },
];

for (const { name, make, op } of layers()) {
  test(`${name}: the HAL composite and the engine-op cells agree`, async () => {
    manualSeed(7);
    const layer = make();
    const directions = layer.bidirectional ? 2 : 1;
    const x = randn(layer.batchFirst ? [2, 5, 3] : [5, 2, 3]);
    const state = { h: randn([layer.numLayers * directions, 2, 4]), ...(op === "lstm" ? { c: randn([layer.numLayers * directions, 2, 4]) } : {}) };
    const cells = layer.forwardWithState(x, state) as unknown as Record<string, Tensor>;
    profiler.start();
    const composite = noGrad(() => layer.forwardWithState(x, state)) as unknown as Record<string, Tensor>;
    const launched = profiler
      .stop()
      .filter((e) => e.category === "kernel")
      .map((e) => e.name);
    assert.equal(launched.filter((n) => n === op).length, layer.numLayers, `one ${op} per layer, launched ${[...new Set(launched)].join(", ")}`);
    for (const key of Object.keys(cells)) {
      assert.deepEqual(composite[key]!.shape, cells[key]!.shape, key);
      assertClose(await composite[key]!.data(), Array.from(await cells[key]!.data()), { rtol: 1e-5, atol: 1e-6 }, `${name} ${key}`);
    }
  });
}

test("training mode with dropout keeps the engine-op path even without gradients", () => {
  const lstm = new LSTM(3, 4, { numLayers: 2, dropout: 0.5 });
  profiler.start();
  noGrad(() => lstm.forward(randn([3, 1, 3])));
  assert.ok(!profiler.stop().some((e) => e.name === "lstm"));
});
