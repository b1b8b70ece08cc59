import { test } from "node:test";
import assert from "node:assert/strict";
import { ShapeError } from "@polychip/hal";
import { assertClose } from "../../golden/fixtures.ts";
import { tensor } from "../../index.ts";
import { GRU, LSTM, RNN } from "./recurrent.ts";
import { LSTMCell } from "./recurrent-cells.ts";
import { checkRecurrentGolden, RECURRENT_GOLDEN } from "../../golden/recurrent-cases.ts";

for (const c of RECURRENT_GOLDEN) {
  test(`${c.name}: outputs and gradients match PyTorch`, () => checkRecurrentGolden(c));
}

test("parameters of a bidirectional two-layer LSTM are named and shaped as PyTorch's", () => {
  const lstm = new LSTM(3, 5, { numLayers: 2, bidirectional: true });
  const shapes = Object.fromEntries(lstm.namedParameters().map(([n, p]) => [n, p.shape]));
  assert.deepEqual(shapes.weight_ih_l0, [20, 3]);
  assert.deepEqual(shapes.weight_ih_l1_reverse, [20, 10]);
  assert.deepEqual(shapes.bias_hh_l1_reverse, [20]);
  assert.equal(Object.keys(shapes).length, 16);
});

test("an unbatched sequence gives unbatched output and states", async () => {
  const gru = new GRU(2, 3, { bidirectional: true });
  const { output, h } = gru.forwardWithState(
    tensor([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]),
  );
  assert.deepEqual(output.shape, [4, 6]);
  assert.deepEqual(h.shape, [2, 3]);
  const batched = gru.forwardWithState(tensor([[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]));
  assertClose(await output.data(), Array.from(await batched.output.data()), { rtol: 0, atol: 1e-7 }, "unbatched vs batch of one");
});

test("inputs and states of the wrong shape are refused naming the layer and shapes", () => {
  const lstm = new LSTM(3, 4, { numLayers: 2 });
  assert.throws(() => lstm.forward(tensor(new Float32Array(10), { shape: [5, 2] })), /LSTM: input must be \[seq, batch, 3\]/);
  assert.throws(
    () => lstm.forward(tensor(new Float32Array(12), { shape: [2, 2, 3] }), tensor(new Float32Array(8), { shape: [1, 2, 4] })),
    (err: Error) => {
      assert.ok(err instanceof ShapeError);
      assert.match(err.message, /LSTM: h0 must be \[2, 2, 4\], got \[1, 2, 4\]/);
      return true;
    },
  );
  assert.throws(() => new RNN(3, 4, { nonlinearity: "gelu" as "relu" }), /nonlinearity must be "tanh" or "relu"/);
  assert.throws(() => new GRU(3, 4, { dropout: 1 }), /dropout must be in \[0, 1\)/);
  assert.throws(() => new LSTMCell(3, 4).forward(tensor([1, 2])), /LSTMCell: input must be \[batch, 3\] or \[3\]/);
});
