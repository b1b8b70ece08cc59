import assert from "node:assert/strict";
import { test } from "node:test";
import { loadOnnxRuntime } from "../../testing/onnxruntime.ts";
import { runOnnx } from "../../testing/run-model.ts";
import { exportOnnx } from "../../export/exporter.ts";
import { importOnnx } from "../importer.ts";
import { buildRecurrentCase, type BuiltCase, type RecurrentCase } from "./recurrent-cases.ts";

/** onnxruntime-node is the oracle for every ONNX option of LSTM, GRU and RNN. */
const ort = await loadOnnxRuntime();
const skip = ort ? false : "onnxruntime-node is not installed";

const CASES: RecurrentCase[] = [
  { name: "forward, no optional inputs", op: "LSTM", seq: 3, batch: 2, input: 3, hidden: 4 },
  {
    name: "reverse with bias, initial states and peepholes",
    op: "LSTM",
    seq: 4,
    batch: 3,
    input: 3,
    hidden: 2,
    direction: "reverse",
    bias: true,
    initialH: true,
    initialC: true,
    peepholes: true,
  },
  {
    name: "bidirectional with sequence lengths",
    op: "LSTM",
    seq: 5,
    batch: 3,
    input: 3,
    hidden: 2,
    direction: "bidirectional",
    bias: true,
    sequenceLens: [5, 2, 3],
    initialH: true,
    initialC: true,
    peepholes: true,
  },
  {
    name: "layout 1, bidirectional, sequence lengths",
    op: "LSTM",
    seq: 5,
    batch: 3,
    input: 3,
    hidden: 2,
    direction: "bidirectional",
    layout: 1,
    bias: true,
    sequenceLens: [1, 5, 3],
    initialH: true,
    initialC: true,
  },
  { name: "clip and input_forget", op: "LSTM", seq: 4, batch: 2, input: 3, hidden: 3, bias: true, clip: 0.5, inputForget: true },
  {
    name: "activations with alpha and beta per direction",
    op: "LSTM",
    seq: 3,
    batch: 2,
    input: 3,
    hidden: 2,
    direction: "bidirectional",
    activations: ["HardSigmoid", "ScaledTanh", "LeakyRelu", "Sigmoid", "Affine", "Softsign"],
    alpha: [0.3, 0.8, 0.1, 0.9],
    beta: [0.4, 1.2, 0.1],
  },
  { name: "only Y_h asked for", op: "LSTM", seq: 3, batch: 2, input: 3, hidden: 2, outputs: [false, true, false] },
  {
    name: "a sequence of length 0 ends in zero states",
    op: "LSTM",
    seq: 3,
    batch: 2,
    input: 2,
    hidden: 2,
    direction: "bidirectional",
    sequenceLens: [0, 3],
    initialH: true,
    initialC: true,
  },
  { name: "forward with bias", op: "GRU", seq: 3, batch: 2, input: 3, hidden: 4, bias: true },
  {
    name: "linear_before_reset, bidirectional, sequence lengths",
    op: "GRU",
    seq: 4,
    batch: 3,
    input: 2,
    hidden: 3,
    direction: "bidirectional",
    bias: true,
    linearBeforeReset: true,
    sequenceLens: [4, 1, 2],
    initialH: true,
  },
  { name: "layout 1, reverse, clip", op: "GRU", seq: 4, batch: 2, input: 2, hidden: 3, direction: "reverse", layout: 1, bias: true, clip: 0.7, initialH: true },
  { name: "Elu and Softplus", op: "GRU", seq: 3, batch: 2, input: 2, hidden: 3, activations: ["Elu", "Softplus"], alpha: [0.5] },
  { name: "forward with bias and initial state", op: "RNN", seq: 3, batch: 2, input: 3, hidden: 4, bias: true, initialH: true },
  {
    name: "layout 1, bidirectional, sequence lengths",
    op: "RNN",
    seq: 4,
    batch: 3,
    input: 2,
    hidden: 3,
    direction: "bidirectional",
    layout: 1,
    bias: true,
    sequenceLens: [2, 4, 3],
    initialH: true,
  },
  {
    name: "symbolic sequence and batch dims",
    op: "GRU",
    seq: 4,
    batch: 2,
    input: 3,
    hidden: 2,
    direction: "bidirectional",
    bias: true,
    sequenceLens: [4, 3],
    initialH: true,
    symbolicDims: true,
  },
  { name: "constant inputs fold at import with every output", op: "LSTM", seq: 3, batch: 2, input: 3, hidden: 2, bias: true, constantInput: true },
  {
    name: "Relu and ThresholdedRelu",
    op: "RNN",
    seq: 3,
    batch: 2,
    input: 2,
    hidden: 3,
    direction: "bidirectional",
    activations: ["Relu", "ThresholdedRelu"],
    alpha: [0.2],
  },
];

/** `data` of `shape` with its axes permuted (out axis i is input axis perm[i]). */
function permute(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]!);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const index = outShape.map(() => 0);
  for (let o = 0; o < out.length; o++) {
    out[o] = data[index.reduce((s, v, i) => s + v * strides[perm[i]!]!, 0)]!;
    for (let i = outShape.length - 1; i >= 0 && ++index[i]! === outShape[i]; i--) index[i] = 0;
  }
  return out;
}

/**
 * onnxruntime refuses layout 1, so a layout-1 case is checked against its layout-0 twin: the same
 * weights, the inputs transposed to time-major and the outputs transposed back.
 */
async function oracle(c: RecurrentCase, built: BuiltCase): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const layout1 = c.layout === 1;
  const twin = layout1 ? buildRecurrentCase({ ...c, layout: 0, opset: 14 }) : built;
  const feeds: Record<string, InstanceType<NonNullable<typeof ort>["Tensor"]>> = {};
  for (const [name, f] of Object.entries(built.feeds)) {
    const swap = layout1 && f.shape.length === 3;
    const data = swap ? permute(f.data, f.shape, [1, 0, 2]) : f.data;
    feeds[name] = new ort!.Tensor(f.dtype, data, swap ? [f.shape[1]!, f.shape[0]!, f.shape[2]!] : f.shape);
  }
  const session = await ort!.InferenceSession.create(twin.bytes);
  const out = await session.run(feeds);
  await session.release();
  const result: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const name of built.outputs) {
    const t = out[name]!;
    const dims = [...t.dims];
    if (!layout1) result[name] = { data: t.data as Float32Array, dims };
    else if (dims.length === 4) result[name] = { data: permute(t.data as Float32Array, dims, [2, 0, 1, 3]), dims: [dims[2]!, dims[0]!, dims[1]!, dims[3]!] };
    else result[name] = { data: permute(t.data as Float32Array, dims, [1, 0, 2]), dims: [dims[1]!, dims[0]!, dims[2]!] };
  }
  return result;
}

for (const c of CASES) {
  test(`${c.op} ${c.name}: agrees with onnxruntime`, { skip }, async () => {
    const built = buildRecurrentCase(c);
    const expected = await oracle(c, built);
    const got = await runOnnx(built.bytes, built.feeds);
    for (const name of built.outputs) {
      assert.deepEqual(got[name]!.shape, expected[name]!.dims, `${name} shape`);
      const e = expected[name]!.data;
      for (let i = 0; i < e.length; i++) assert.ok(Math.abs(got[name]!.data[i]! - e[i]!) <= 1e-5, `${name}[${i}]: ${got[name]!.data[i]} vs ${e[i]}`);
    }
  });
}

test("an unknown activation is refused by name", async () => {
  const built = buildRecurrentCase({ name: "bad", op: "RNN", seq: 2, batch: 1, input: 2, hidden: 2, activations: ["Swish"] });
  await assert.rejects(runOnnx(built.bytes, built.feeds), /unknown activation 'Swish'/);
});

/** Export writes the HAL ops back as ONNX LSTM/GRU/RNN: onnxruntime must give the original model's numbers. */
const ROUND_TRIP = CASES.filter((c) => c.layout !== 1 && !c.constantInput && !c.symbolicDims && (c.sequenceLens || c.activations || c.peepholes || c.clip));

for (const c of ROUND_TRIP) {
  test(`${c.op} ${c.name}: exported and run in onnxruntime, agrees with the original`, { skip }, async () => {
    const built = buildRecurrentCase(c);
    const expected = await oracle(c, built);
    const exported = exportOnnx(importOnnx(built.bytes));
    const roundTrip = await oracle(c, { ...built, bytes: exported });
    for (const name of built.outputs) {
      const e = expected[name]!.data;
      const g = roundTrip[name]!.data;
      for (let i = 0; i < e.length; i++) assert.ok(Math.abs(g[i]! - e[i]!) <= 1e-6, `${name}[${i}]: ${g[i]} vs ${e[i]}`);
    }
  });
}
