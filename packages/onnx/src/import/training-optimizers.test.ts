import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import "@polychip/devices";
import { FormatError } from "@polychip/hal";
import { importOnnx } from "./importer.ts";
import { OnnxSession } from "../session.ts";
import { buildModel } from "../testing/model-builder.ts";

/**
 * Adagrad, Adam and Momentum (ai.onnx.preview.training) beyond ONNX's node tests, which take one
 * step at T = 1 or 2: a training loop of several steps from T = 0 (no bias correction, beta
 * taken as 1), its results fed back, in one session and one plan (R and T are read per run), on
 * cpu and npu-sim. The oracle is ONNX's pseudo code run in float64 per element.
 */
const DEVICES = ["cpu", "npu-sim"] as const;
const DOMAIN = "ai.onnx.preview.training";
/** Attribute values by name (an absent one undefined: the fixture's cases share one type). */
type Attrs = Readonly<Record<string, number | string | undefined>>;

interface Optimizer {
  readonly op: string;
  readonly attrs: Attrs;
  /** State tensors per optimised tensor, after X and G. */
  readonly states: number;
  /** ONNX's pseudo code for one element: (r, t, x, g, ...states) → [x_new, ...states_new]. */
  readonly reference: (r: number, t: number, x: number, g: number, s: number[]) => number[];
}

const adagrad = (a: { decay_factor: number; epsilon: number; norm_coefficient: number }): Optimizer => ({
  op: "Adagrad",
  attrs: a,
  states: 1,
  reference: (r, t, x, g, [h]) => {
    const rate = r / (1 + t * a.decay_factor);
    const gr = a.norm_coefficient * x + g;
    const hNew = h! + gr * gr;
    return [x - (rate * gr) / (Math.sqrt(hNew) + a.epsilon), hNew];
  },
});

const adam = (a: { alpha?: number; beta?: number; epsilon?: number; norm_coefficient?: number; norm_coefficient_post?: number }): Optimizer => {
  const { alpha = 0.9, beta = 0.999, epsilon = 0, norm_coefficient = 0, norm_coefficient_post = 0 } = a;
  return {
    op: "Adam",
    attrs: a as Attrs,
    states: 2,
    reference: (r, t, x, g, [v, h]) => {
      const gr = norm_coefficient * x + g;
      const vNew = alpha * v! + (1 - alpha) * gr;
      const hNew = beta * h! + (1 - beta) * gr * gr;
      const rate = t > 0 ? (r * Math.sqrt(1 - beta ** t)) / (1 - alpha ** t) : r;
      return [(1 - norm_coefficient_post) * (x - (rate * vNew) / (Math.sqrt(hNew) + epsilon)), vNew, hNew];
    },
  };
};

const momentum = (a: { alpha: number; beta: number; norm_coefficient: number; mode: "standard" | "nesterov" }): Optimizer => ({
  op: "Momentum",
  attrs: a,
  states: 1,
  reference: (r, t, x, g, [v]) => {
    const gr = a.norm_coefficient * x + g;
    const vNew = a.alpha * v! + (t > 0 ? a.beta : 1) * gr;
    return [x - r * (a.mode === "standard" ? vNew : gr + a.alpha * vNew), vNew];
  },
});

/** The attributes as ONNX types them: every number a float (0 too, which would otherwise be an int). */
const floatAttrs = (attrs: Attrs) =>
  Object.fromEntries(
    Object.entries(attrs)
      .filter((e): e is [string, number | string] => e[1] !== undefined)
      .map(([k, v]) => [k, typeof v === "number" ? { float: v } : v]),
  );

/**
 * A model of one optimiser node over tensors of these shapes: inputs R, T, X_i, G_i, state_k_i;
 * outputs X_i_new, state_k_i_new. `dropped` leaves that many inputs off the node's end (a malformed node).
 */
function optimizerModel(o: Optimizer, shapes: number[][], dropped = 0) {
  const names = (prefix: string) => shapes.map((_, i) => `${prefix}${i}`);
  const groups = [names("X"), names("G"), ...Array.from({ length: o.states }, (_, k) => names(`S${k}_`))];
  const outputs = [names("X_new"), ...Array.from({ length: o.states }, (_, k) => names(`S${k}_new`))];
  const model = buildModel({
    opset: 17,
    domains: { [DOMAIN]: 1 },
    inputs: [
      { name: "R", type: "float32", shape: [] },
      { name: "T", type: "int64", shape: [] },
      ...groups.flatMap((g) => g.map((name, i) => ({ name, type: "float32" as const, shape: shapes[i]! }))),
    ],
    outputs: outputs.flat().map((name) => ({ name, type: "float32" })),
    nodes: [
      {
        op: o.op,
        domain: DOMAIN,
        inputs: ["R", "T", ...groups.flat()].slice(0, 2 + groups.flat().length - dropped),
        outputs: outputs.flat(),
        attrs: floatAttrs(o.attrs),
      },
    ],
  });
  return { model, groups, outputs };
}

/** Gradients of both signs that change per step (each step's state matters), never 0 (Adam with epsilon 0 would divide 0 by 0). */
const gradient = (step: number, i: number, j: number) => (j % 2 === 0 ? 1 : -1) * (1.1 + Math.cos(1.3 * step + 0.7 * i + 0.37 * j));

async function trainingLoop(o: Optimizer, device: string, steps = 4): Promise<void> {
  const shapes = [[3], [2, 2]];
  const { model, groups, outputs } = optimizerModel(o, shapes);
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  // [tensor][element] → [x, ...states]
  let ours = sizes.map((n, i) => Array.from({ length: n }, (_, j) => [0.5 - 0.3 * j + i, ...new Array<number>(o.states).fill(0)]));
  let oracle = ours.map((t) => t.map((e) => [...e]));
  const session = await OnnxSession.create(model, { device });
  try {
    for (let t = 0; t < steps; t++) {
      const r = 0.1 / (1 + t);
      const feeds: Record<string, { data: number[]; shape: number[]; dtype?: "int32" }> = {
        R: { data: [r], shape: [] },
        T: { data: [t], shape: [], dtype: "int32" },
      };
      groups.forEach((names, k) =>
        names.forEach((name, i) => {
          const data = k === 0 ? ours[i]!.map((e) => e[0]!) : k === 1 ? ours[i]!.map((_, j) => gradient(t, i, j)) : ours[i]!.map((e) => e[k - 1]!);
          feeds[name] = { data, shape: shapes[i]! };
        }),
      );
      const got = await session.run(feeds);
      ours = ours.map((tensor, i) => tensor.map((_, j) => outputs.map((names) => got[names[i]!]!.data[j]!)));
      oracle = oracle.map((tensor, i) => tensor.map(([x, ...s], j) => o.reference(r, t, x!, gradient(t, i, j), s)));
      ours.forEach((tensor, i) =>
        tensor.forEach((e, j) =>
          e.forEach((v, k) => {
            const want = oracle[i]![j]![k]!;
            assert.ok(Math.abs(v - want) <= 1e-5 * (1 + Math.abs(want)), `step T=${t}, tensor ${i}[${j}] result ${k}: ${v}, ONNX's pseudo code ${want}`);
          }),
        ),
      );
      // Continue from our own results, as a training loop would.
      oracle = ours.map((tensor) => tensor.map((e) => [...e]));
    }
    assert.equal(session.planCount, 1, "R and T are read per run: one plan for every step");
  } finally {
    session.dispose();
  }
}

const OPTIMIZERS: [string, Optimizer][] = [
  ["Adagrad with decay, epsilon and regularisation", adagrad({ decay_factor: 0.3, epsilon: 1e-3, norm_coefficient: 0.05 })],
  ["Adam with its defaults", adam({})],
  ["Adam with regularisation before and after the update", adam({ alpha: 0.8, beta: 0.95, epsilon: 1e-4, norm_coefficient: 0.02, norm_coefficient_post: 0.1 })],
  ["Momentum, standard", momentum({ alpha: 0.9, beta: 0.5, norm_coefficient: 0.01, mode: "standard" })],
  ["Momentum, nesterov", momentum({ alpha: 0.7, beta: 0.25, norm_coefficient: 0.03, mode: "nesterov" })],
];

for (const device of DEVICES) {
  for (const [name, o] of OPTIMIZERS) {
    test(`${name}: four steps from T = 0 over two tensors on ${device} follow ONNX's pseudo code, in one plan`, async () => {
      await trainingLoop(o, device);
    });
  }
}

test("an optimiser with inputs that do not split into whole groups is refused, naming the layout", () => {
  const { model } = optimizerModel(adam({}), [[2]], 1);
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e instanceof FormatError && /5 inputs; Adam takes R, T and 4 per optimised tensor/.test(e.message),
  );
});

test("Momentum with a mode other than standard or nesterov is refused, naming it", () => {
  const o = momentum({ alpha: 0.9, beta: 0.5, norm_coefficient: 0.01, mode: "standard" });
  const { model } = optimizerModel({ ...o, attrs: { ...o.attrs, mode: "heavy-ball" } }, [[2]]);
  assert.throws(
    () => importOnnx(model),
    (e: Error) => e instanceof FormatError && /mode must be 'standard' or 'nesterov', got 'heavy-ball'/.test(e.message),
  );
});

/**
 * PyTorch's Adagrad, Adam (eps 0: PyTorch adds it after the bias correction, ONNX before) and SGD
 * with momentum, dampening and Nesterov, stepping two tensors four times
 * (fixtures/training-optimizers-pytorch.json, from scripts/generate-training-optimizer-fixtures.py):
 * the same steps through ONNX's ops give the same tensors and states.
 */
interface PyTorchSteps {
  readonly shapes: number[][];
  readonly lr: number;
  /** Per tensor, its values flattened. */
  readonly initial: number[][];
  /** Per step, per tensor. */
  readonly gradients: number[][][];
  readonly cases: {
    readonly name: string;
    readonly op: string;
    readonly attrs: Attrs;
    /** ONNX's T at PyTorch's first step. */
    readonly first_t: number;
    /** After each step: per tensor its values, and per state per tensor the state's. */
    readonly steps: { readonly params: number[][]; readonly states: number[][][] }[];
  }[];
}
const pytorch = JSON.parse(readFileSync(new URL("../../fixtures/training-optimizers-pytorch.json", import.meta.url), "utf8")) as PyTorchSteps;

for (const device of DEVICES) {
  for (const c of pytorch.cases) {
    test(`${c.op} steps like PyTorch's ${c.name} on ${device}`, async () => {
      const states = c.steps[0]!.states.length;
      const o: Optimizer = { op: c.op, attrs: c.attrs, states, reference: () => [] };
      const { model, groups, outputs } = optimizerModel(o, pytorch.shapes);
      let params = pytorch.initial;
      let state = Array.from({ length: states }, () => params.map((p) => p.map(() => 0)));
      const session = await OnnxSession.create(model, { device });
      try {
        for (const [s, want] of c.steps.entries()) {
          const values = [params, pytorch.gradients[s]!, ...state];
          const feeds: Record<string, { data: number[]; shape: number[]; dtype?: "int32" }> = {
            R: { data: [pytorch.lr], shape: [] },
            T: { data: [c.first_t + s], shape: [], dtype: "int32" },
          };
          groups.forEach((names, k) => names.forEach((name, i) => (feeds[name] = { data: values[k]![i]!, shape: pytorch.shapes[i]! })));
          const got = await session.run(feeds);
          const read = (names: string[]) => names.map((name) => Array.from(got[name]!.data));
          [params, ...state] = outputs.map(read);
          [want.params, ...want.states].forEach((expected, k) =>
            expected.forEach((tensor, i) =>
              tensor.forEach((v, j) => {
                const mine = [params, ...state][k]![i]![j]!;
                assert.ok(Math.abs(mine - v) <= 1e-5 * (1 + Math.abs(v)), `step ${s + 1}, result ${k} of tensor ${i}[${j}]: ${mine}, PyTorch ${v}`);
              }),
            ),
          );
        }
      } finally {
        session.dispose();
      }
    });
  }
}
