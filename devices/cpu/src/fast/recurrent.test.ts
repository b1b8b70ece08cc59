/**
 * The WASM-product recurrent kernels against the float64 reference (the cpu device without wasm):
 * LSTM, GRU (both reset placements) and RNN over directions, sequence lengths, layouts, initial
 * states, peepholes, clip and activations, at sizes with and without whole SIMD vectors, on 1 and
 * 2 threads; and the fallback when an operand is a strided view.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Attrs } from "@polychip/hal";
import { CpuDevice } from "../device.ts";
import { assertClose, randomValues } from "../test-utils.ts";
import { runOp, type HostInput } from "../testing.ts";

const single = new CpuDevice({ threads: 1 });
const pair = new CpuDevice({ threads: 2 });
const reference = new CpuDevice({ wasm: false });
after(() => Promise.all([single.dispose(), pair.dispose()]));

interface Problem {
  op: "lstm" | "gru" | "rnn";
  t: number;
  b: number;
  i: number;
  h: number;
  attrs?: Attrs;
  lens?: number[];
  state?: boolean;
  peepholes?: boolean;
}

function inputs(p: Problem, seed: number): { inputs: HostInput[]; attrs: Attrs } {
  const gates = { lstm: 4, gru: 3, rnn: 1 }[p.op] * p.h;
  const d = p.attrs?.direction === "bidirectional" ? 2 : 1;
  const layout1 = p.attrs?.layout === 1;
  // Weights scaled like a trained layer's (about 1/sqrt(fan-in)), so the gates are neither saturated nor flat.
  const scaled = (n: number, s: number, scale: number) => randomValues(n, seed * 16 + s).map((v) => v * scale);
  const list: HostInput[] = [
    { values: scaled(p.t * p.b * p.i, 1, 1.5), shape: layout1 ? [p.b, p.t, p.i] : [p.t, p.b, p.i], dtype: "float32" },
    { values: scaled(d * gates * p.i, 2, 1 / Math.sqrt(p.i)), shape: [d, gates, p.i], dtype: "float32" },
    { values: scaled(d * gates * p.h, 3, 1 / Math.sqrt(p.h)), shape: [d, gates, p.h], dtype: "float32" },
    { values: scaled(d * 2 * gates, 4, 0.5), shape: [d, 2 * gates], dtype: "float32" },
  ];
  const optional = ["bias"];
  const state = layout1 ? [p.b, d, p.h] : [d, p.b, p.h];
  if (p.lens) list.push({ values: p.lens, shape: [p.b], dtype: "int32" }), optional.push("sequenceLens");
  if (p.state) list.push({ values: scaled(d * p.b * p.h, 5, 0.8), shape: state, dtype: "float32" }), optional.push("initialH");
  if (p.state && p.op === "lstm") list.push({ values: scaled(d * p.b * p.h, 6, 0.8), shape: state, dtype: "float32" }), optional.push("initialC");
  if (p.peepholes) list.push({ values: scaled(d * 3 * p.h, 7, 0.5), shape: [d, 3 * p.h], dtype: "float32" }), optional.push("peepholes");
  return { inputs: list, attrs: { ...p.attrs, optionalInputs: optional.join(",") } };
}

/** Runs the op on `device`, returning every output, whether the WASM dot-product kernel ran, and whether the WASM LSTM cell did. */
function runOn(device: CpuDevice, op: string, ins: HostInput[], attrs: Attrs) {
  const rt = device.fast?.runtime;
  const names = new Set<string>();
  const [run, call] = [rt?.run, rt?.call];
  if (rt) {
    rt.run = (pool, name, ...rest) => (names.add(name), run!.call(rt, pool, name, ...rest));
    rt.call = (name, ...args) => (names.add(name), call!.call(rt, name, ...args));
  }
  try {
    return { outputs: runOp(op, ins, attrs, { device }), ran: names.has("matmulDot"), cell: names.has("lstmCell") };
  } finally {
    if (rt) [rt.run, rt.call] = [run!, call!];
  }
}

/** Whether the WASM cell takes the problem: an LSTM with the default activations, nothing else, and an even H. */
const cellApplies = (p: Problem) =>
  p.op === "lstm" && !p.peepholes && p.h % 2 === 0 && p.attrs?.clip === undefined && p.attrs?.activations === undefined && !p.attrs?.inputForget;

function check(p: Problem, seed: number): void {
  const { inputs: ins, attrs } = inputs(p, seed);
  const want = runOp(p.op, ins, attrs, { device: reference });
  for (const device of [single, pair]) {
    const got = runOn(device, p.op, ins, attrs);
    assert.ok(got.ran, `${p.op} ${JSON.stringify(p)}: the WASM products did not run`);
    assert.equal(got.cell, cellApplies(p), `${p.op} ${JSON.stringify(p)}: the WASM LSTM cell ${got.cell ? "ran" : "did not run"}`);
    assert.equal(got.outputs.length, want.length);
    got.outputs.forEach((out, k) => {
      assert.deepEqual(out.shape, want[k]!.shape);
      // float32 products against float64 ones: a few float32 ulps after the gates.
      assertClose(out.values, want[k]!.values, 3e-6, 3e-5);
    });
  }
}

test("lstm matches the reference: forward with states and peepholes, Silero's 128 units", () => {
  check({ op: "lstm", t: 1, b: 1, i: 128, h: 128, state: true }, 1);
  check({ op: "lstm", t: 6, b: 2, i: 21, h: 13, state: true, peepholes: true }, 2);
});

test("lstm with the default activations runs its gates in the WASM cell (even H) and matches the reference", () => {
  check({ op: "lstm", t: 7, b: 3, i: 10, h: 24, attrs: { direction: "bidirectional" }, lens: [7, 2, 0], state: true }, 12);
  check({ op: "lstm", t: 3, b: 2, i: 5, h: 7, state: true }, 13); // odd H: the JavaScript gates
});

test("the WASM LSTM cell saturates like the reference where e^x overflows or vanishes", () => {
  const { inputs: ins, attrs } = inputs({ op: "lstm", t: 2, b: 1, i: 4, h: 6 }, 14);
  // Pre-activations of about ±1000 (and a few near 0): sigmoid and tanh at their limits.
  const x = { ...ins[0]!, values: Array.from(ins[0]!.values, (v, k) => (k % 5 === 0 ? v * 1e-3 : v * 800)) };
  const w = { ...ins[1]!, values: Array.from(ins[1]!.values, (v) => Math.sign(v)) };
  const all = [x, w, ...ins.slice(2)];
  const want = runOp("lstm", all, attrs, { device: reference });
  const got = runOn(single, "lstm", all, attrs);
  assert.ok(got.cell, "the WASM LSTM cell did not run");
  got.outputs.forEach((out, k) => assertClose(out.values, want[k]!.values, 3e-6, 3e-5));
  assert.ok(
    Array.from(want[2]!.values).some((v) => Math.abs(v) > 1.5),
    "the cell state must leave tanh's linear range",
  );
});

test("lstm matches the reference: bidirectional, sequence lengths with a 0, layout 1", () => {
  check({ op: "lstm", t: 5, b: 3, i: 7, h: 9, attrs: { direction: "bidirectional", layout: 1 }, lens: [5, 0, 3], state: true, peepholes: true }, 3);
});

test("lstm matches the reference: reverse, clip, inputForget and other activations", () => {
  const attrs = {
    direction: "reverse",
    clip: 0.7,
    inputForget: true,
    activations: "hardsigmoid,softsign,affine",
    activationAlpha: [0.3, 0, 0.7],
    activationBeta: [0.4, 0, 0.1],
  };
  check({ op: "lstm", t: 4, b: 2, i: 10, h: 6, attrs }, 4);
});

test("gru matches the reference with and without linearBeforeReset", () => {
  check({ op: "gru", t: 5, b: 2, i: 12, h: 11, attrs: { direction: "bidirectional", linearBeforeReset: true }, lens: [2, 5], state: true }, 5);
  check({ op: "gru", t: 4, b: 3, i: 9, h: 16, attrs: { direction: "reverse", layout: 1 }, state: true }, 6);
  check({ op: "gru", t: 3, b: 1, i: 5, h: 7, attrs: { clip: 0.6, activations: "elu,scaledtanh", activationAlpha: [0.5, 0.9], activationBeta: [0, 1.3] } }, 7);
});

test("rnn matches the reference, bidirectional with sequence lengths", () => {
  check({ op: "rnn", t: 4, b: 3, i: 8, h: 10, attrs: { direction: "bidirectional" }, lens: [4, 1, 0] }, 8);
  check({ op: "rnn", t: 3, b: 2, i: 33, h: 5, attrs: { activations: "relu" }, state: true }, 9);
});

test("a long sequence's input projection is split in column blocks and still matches", () => {
  check({ op: "lstm", t: 40, b: 2, i: 64, h: 32, state: true }, 10);
});

test("a strided (transposed) input falls back to the reference products and matches", () => {
  const p: Problem = { op: "lstm", t: 3, b: 2, i: 4, h: 5, state: true };
  const { inputs: ins, attrs } = inputs(p, 11);
  const x = ins[0]!;
  // The same x stored as [I, B, T] and viewed through strides as [T, B, I].
  const stored = new Array<number>(x.values.length);
  for (let t = 0; t < 3; t++) for (let b = 0; b < 2; b++) for (let i = 0; i < 4; i++) stored[i * 6 + b * 3 + t] = x.values[(t * 2 + b) * 4 + i]!;
  const strided: HostInput = { ...x, values: stored, strides: [1, 3, 6] };
  const want = runOp("lstm", ins, attrs, { device: reference });
  const got = runOn(single, "lstm", [strided, ...ins.slice(1)], attrs);
  assert.equal(got.ran, false, "a strided x must not reach the WASM products");
  got.outputs.forEach((out, k) => assertClose(out.values, want[k]!.values, 1e-6, 1e-6));
});

test("a second run of the same node with shorter sequences leaves no values of the first run behind", () => {
  for (const op of ["lstm", "gru"] as const) {
    const long = inputs({ op, t: 4, b: 2, i: 6, h: 8, lens: [4, 3] }, 21);
    const short = inputs({ op, t: 4, b: 2, i: 6, h: 8, lens: [1, 0] }, 21);
    // One attrs object for both runs, as a planned session passes its node's attrs every run.
    const attrs = long.attrs;
    runOp(op, long.inputs, attrs, { device: single });
    const again = runOp(op, short.inputs, attrs, { device: single });
    const fresh = runOp(op, short.inputs, { ...attrs }, { device: single });
    again.forEach((out, k) => assert.deepEqual(Array.from(out.values), Array.from(fresh[k]!.values), `${op} output ${k}`));
  }
});
