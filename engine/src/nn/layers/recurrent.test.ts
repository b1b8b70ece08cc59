import { test } from "node:test";
import assert from "node:assert/strict";
import { ShapeError } from "@polychip/hal";
import { assertClose, loadGolden, toTensor, type GoldenArray } from "../../golden/fixtures.ts";
import { tensor, type Tensor } from "../../index.ts";
import { GRU, LSTM, RNN } from "./recurrent.ts";
import { GRUCell, LSTMCell, RNNCell } from "./recurrent-cells.ts";

/** engine/fixtures/golden/recurrent.json, written by engine/scripts/generate_recurrent_golden.py (PyTorch, float64). */
interface RecurrentCase {
  name: string;
  kind: "LSTM" | "GRU" | "RNN" | "LSTMCell" | "GRUCell" | "RNNCell";
  config: { inputSize: number; hiddenSize: number; bias: boolean; numLayers?: number; batchFirst?: boolean; bidirectional?: boolean; nonlinearity?: "tanh" | "relu" };
  parameters: Record<string, { shape: number[]; values: number[] }>;
  inputs: Record<string, { shape: number[]; values: number[] }>;
  outputs: Record<string, { shape: number[]; values: number[] }>;
  weights: Record<string, number[]>;
  grads: Record<string, number[]>;
}

const TOLERANCE = { rtol: 1e-4, atol: 1e-5 };
const float = (a: { shape: number[]; values: number[] }): GoldenArray => ({ ...a, dtype: "float32" });

function build(c: RecurrentCase) {
  const { inputSize, hiddenSize, ...rest } = c.config;
  const opts = { ...rest, ...(rest.nonlinearity ? { nonlinearity: rest.nonlinearity } : {}) };
  switch (c.kind) {
    case "LSTM": return new LSTM(inputSize, hiddenSize, opts);
    case "GRU": return new GRU(inputSize, hiddenSize, opts);
    case "RNN": return new RNN(inputSize, hiddenSize, opts);
    case "LSTMCell": return new LSTMCell(inputSize, hiddenSize, opts);
    case "GRUCell": return new GRUCell(inputSize, hiddenSize, opts);
    case "RNNCell": return new RNNCell(inputSize, hiddenSize, opts);
  }
}

for (const c of loadGolden<RecurrentCase>("recurrent.json").cases) {
  test(`${c.name}: outputs and gradients match PyTorch`, async () => {
    const layer = build(c);
    assert.deepEqual(layer.namedParameters().map(([n]) => n), Object.keys(c.parameters), "parameter names follow PyTorch");
    layer.loadStateDict(Object.fromEntries(Object.entries(c.parameters).map(([n, p]) => [n, toTensor(float(p))])));
    const inputs: Record<string, Tensor> = Object.fromEntries(Object.entries(c.inputs).map(([n, a]) => [n, toTensor(float(a), true)]));
    const result = layer.forwardWithState(inputs.x!, { h: inputs.h0, c: inputs.c0 }) as unknown as Record<string, Tensor>;
    let loss: Tensor | undefined;
    for (const [name, expected] of Object.entries(c.outputs)) {
      const got = result[name]!;
      assert.deepEqual(got.shape, expected.shape, `${name} shape`);
      assertClose(await got.data(), expected.values, TOLERANCE, `${c.name} ${name}`);
      const term = got.mul(tensor(Float32Array.from(c.weights[name]!), { shape: expected.shape })).sum();
      loss = loss ? loss.add(term) : term;
    }
    loss!.backward();
    const params = new Map(layer.namedParameters());
    for (const [name, expected] of Object.entries(c.grads)) {
      const t = inputs[name] ?? params.get(name)!;
      assert.ok(t.grad, `${name} has a gradient`);
      assertClose(await t.grad!.data(), expected, TOLERANCE, `${c.name} d/d${name}`);
    }
  });
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
  const { output, h } = gru.forwardWithState(tensor([[1, 2], [3, 4], [5, 6], [7, 8]]));
  assert.deepEqual(output.shape, [4, 6]);
  assert.deepEqual(h.shape, [2, 3]);
  const batched = gru.forwardWithState(tensor([[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]));
  assertClose(await output.data(), Array.from(await batched.output.data()), { rtol: 0, atol: 1e-7 }, "unbatched vs batch of one");
});

test("inputs and states of the wrong shape are refused naming the layer and shapes", () => {
  const lstm = new LSTM(3, 4, { numLayers: 2 });
  assert.throws(() => lstm.forward(tensor(new Float32Array(10), { shape: [5, 2] })), /LSTM: input must be \[seq, batch, 3\]/);
  assert.throws(() => lstm.forward(tensor(new Float32Array(12), { shape: [2, 2, 3] }), tensor(new Float32Array(8), { shape: [1, 2, 4] })), (err: Error) => {
    assert.ok(err instanceof ShapeError);
    assert.match(err.message, /LSTM: h0 must be \[2, 2, 4\], got \[1, 2, 4\]/);
    return true;
  });
  assert.throws(() => new RNN(3, 4, { nonlinearity: "gelu" as "relu" }), /nonlinearity must be "tanh" or "relu"/);
  assert.throws(() => new GRU(3, 4, { dropout: 1 }), /dropout must be in \[0, 1\)/);
  assert.throws(() => new LSTMCell(3, 4).forward(tensor([1, 2])), /LSTMCell: input must be \[batch, 3\] or \[3\]/);
});
