import assert from "node:assert/strict";
import { assertClose, loadGolden, toTensor, type GoldenArray } from "./fixtures.ts";
import { tensor, type Tensor } from "../index.ts";
import { GRU, LSTM, RNN } from "../nn/layers/recurrent.ts";
import { GRUCell, LSTMCell, RNNCell } from "../nn/layers/recurrent-cells.ts";

/** engine/fixtures/golden/recurrent.json, written by engine/scripts/generate_recurrent_golden.py (PyTorch, float64). */
export interface RecurrentGoldenCase {
  name: string;
  kind: "LSTM" | "GRU" | "RNN" | "LSTMCell" | "GRUCell" | "RNNCell";
  config: {
    inputSize: number;
    hiddenSize: number;
    bias: boolean;
    numLayers?: number;
    batchFirst?: boolean;
    bidirectional?: boolean;
    nonlinearity?: "tanh" | "relu";
  };
  parameters: Record<string, { shape: number[]; values: number[] }>;
  inputs: Record<string, { shape: number[]; values: number[] }>;
  outputs: Record<string, { shape: number[]; values: number[] }>;
  weights: Record<string, number[]>;
  grads: Record<string, number[]>;
}

export const RECURRENT_GOLDEN = loadGolden<RecurrentGoldenCase>("recurrent.json").cases;

const TOLERANCE = { rtol: 1e-4, atol: 1e-5 };
const float = (a: { shape: number[]; values: number[] }): GoldenArray => ({ ...a, dtype: "float32" });

function build(c: RecurrentGoldenCase, device: string) {
  const { inputSize, hiddenSize, ...rest } = c.config;
  const opts = { ...rest, device };
  switch (c.kind) {
    case "LSTM":
      return new LSTM(inputSize, hiddenSize, opts);
    case "GRU":
      return new GRU(inputSize, hiddenSize, opts);
    case "RNN":
      return new RNN(inputSize, hiddenSize, opts);
    case "LSTMCell":
      return new LSTMCell(inputSize, hiddenSize, opts);
    case "GRUCell":
      return new GRUCell(inputSize, hiddenSize, opts);
    case "RNNCell":
      return new RNNCell(inputSize, hiddenSize, opts);
  }
}

/** Builds the case's layer on `device` with PyTorch's weights, runs it, and checks outputs, final states and every gradient. */
export async function checkRecurrentGolden(c: RecurrentGoldenCase, device = "cpu"): Promise<void> {
  const layer = build(c, device);
  assert.deepEqual(
    layer.namedParameters().map(([n]) => n),
    Object.keys(c.parameters),
    "parameter names follow PyTorch",
  );
  layer.loadStateDict(Object.fromEntries(Object.entries(c.parameters).map(([n, p]) => [n, toTensor(float(p), false, device)])));
  const inputs: Record<string, Tensor> = Object.fromEntries(Object.entries(c.inputs).map(([n, a]) => [n, toTensor(float(a), true, device)]));
  const result = layer.forwardWithState(inputs.x!, { h: inputs.h0, c: inputs.c0 }) as unknown as Record<string, Tensor>;
  let loss: Tensor | undefined;
  for (const [name, expected] of Object.entries(c.outputs)) {
    const got = result[name]!;
    assert.equal(got.device, device);
    assert.deepEqual(got.shape, expected.shape, `${name} shape`);
    assertClose(await got.data(), expected.values, TOLERANCE, `${c.name} ${name}`);
    const term = got.mul(tensor(Float32Array.from(c.weights[name]!), { shape: expected.shape, device })).sum();
    loss = loss ? loss.add(term) : term;
  }
  loss!.backward();
  const params = new Map(layer.namedParameters());
  for (const [name, expected] of Object.entries(c.grads)) {
    const t = inputs[name] ?? params.get(name)!;
    assert.ok(t.grad, `${name} has a gradient`);
    assertClose(await t.grad!.data(), expected, TOLERANCE, `${c.name} d/d${name}`);
  }
}
