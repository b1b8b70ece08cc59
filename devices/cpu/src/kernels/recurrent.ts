import { recurrentConfig, type RecurrentActivation as Activation, type RecurrentConfig, type RecurrentOp } from "@polychip/hal";
import { readValues, writeValues, type CpuView, type ValueArray } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/**
 * lstm, gru and rnn in direct loops (float64), one launch for the whole sequence: the reference
 * decomposition costs ~20 tiny launches per time step. Semantics are the HAL's (ONNX's), checked
 * against the decomposition and onnxruntime by the tests.
 */

const ACTIVATIONS: Record<string, (x: number, alpha: number, beta: number) => number> = {
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
  relu: (x) => Math.max(x, 0),
  affine: (x, a, b) => a * x + b,
  leakyrelu: (x, a) => (x >= 0 ? x : a * x),
  thresholdedrelu: (x, a) => (x > a ? x : 0),
  scaledtanh: (x, a, b) => a * Math.tanh(b * x),
  hardsigmoid: (x, a, b) => Math.max(0, Math.min(1, a * x + b)),
  elu: (x, a) => (x >= 0 ? x : a * (Math.exp(x) - 1)),
  softsign: (x) => x / (1 + Math.abs(x)),
  softplus: (x) => Math.log(1 + Math.exp(x)),
};

type Fn = (x: number) => number;

function activation(act: Activation, clip: number | undefined): Fn {
  const f = ACTIVATIONS[act.name]!;
  return clip === undefined ? (x) => f(x, act.alpha, act.beta) : (x) => f(Math.min(Math.max(x, -clip), clip), act.alpha, act.beta);
}

/** Row `row` of a [rows, n] matrix at `base` dotted with v (length n, at `at`), summed in float64. */
function dot(m: ValueArray | Float64Array, base: number, v: ValueArray | Float64Array, at: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += m[base + k]! * v[at + k]!;
  return s;
}

interface Layouts {
  x(t: number, b: number): number;
  state(d: number, b: number): number;
  y(t: number, d: number, b: number): number;
}

function layouts(c: RecurrentConfig): Layouts {
  const { seqLength: T, batch: B, inputSize: I, hidden: H } = c;
  const D = c.directions.length;
  return c.layout === 0
    ? { x: (t, b) => (t * B + b) * I, state: (d, b) => (d * B + b) * H, y: (t, d, b) => ((t * D + d) * B + b) * H }
    : { x: (t, b) => (b * T + t) * I, state: (d, b) => (b * D + d) * H, y: (t, d, b) => ((b * T + t) * D + d) * H };
}

function recurrentKernel(op: RecurrentOp) {
  return cpuKernel(op, ({ inputs, outputs, attrs }) => {
    const cfg = recurrentConfig(op, inputs, attrs);
    const { seqLength: T, batch: B, inputSize: I, hidden: H, present } = cfg;
    const G = cfg.kind.gates * H;
    // The operands as stored (shared, not copied, when contiguous): float32 values promote exactly
    // to float64 in the arithmetic, so this computes what a float64 copy would, without the copy per run.
    const read = (v: CpuView | undefined) => (v ? readValues(v) : undefined);
    const [x, w, r] = [read(inputs[0])!, read(inputs[1])!, read(inputs[2])!];
    const opt = (name: keyof typeof present) => (present[name] === undefined ? undefined : read(inputs[present[name]!]));
    const [bias, lens, h0, c0, peep] = [opt("bias"), opt("sequenceLens"), opt("initialH"), opt("initialC"), opt("peepholes")];
    const at = layouts(cfg);
    const y = new Float64Array(outputs[0]!.shape.reduce((a, b) => a * b, 1));
    const finals = outputs.slice(1).map((o) => new Float64Array(o.shape.reduce((a, b) => a * b, 1)));
    const h = new Float64Array(H);
    const c = new Float64Array(H);
    const pre = new Float64Array(G);
    const rh = new Float64Array(H);
    const inputForget = op === "lstm" && Boolean(attrs.inputForget);
    const z = new Float64Array(H);
    cfg.directions.forEach((direction, d) => {
      // The clip bounds gate pre-activations; LSTM's h(c') reads the cell state unclipped.
      const [f, g, hAct] = cfg.activations[d]!.map((a, i) => activation(a, op === "lstm" && i === 2 ? undefined : cfg.clip)) as [Fn, Fn, Fn];
      const wBase = d * G * I;
      const rBase = d * G * H;
      // Wb + Rb per gate row; GRU with linearBeforeReset keeps Rbh apart, for inside r⊙(…).
      const linearBeforeReset = op === "gru" && Boolean(attrs.linearBeforeReset);
      const inputBias = new Float64Array(G);
      const resetBias = new Float64Array(H);
      if (bias) {
        for (let k = 0; k < G; k++) inputBias[k] = bias[d * 2 * G + k]! + bias[d * 2 * G + G + k]!;
        if (linearBeforeReset) {
          for (let j = 0; j < H; j++) resetBias[j] = bias[d * 2 * G + G + 2 * H + j]!;
          for (let j = 0; j < H; j++) inputBias[2 * H + j] = inputBias[2 * H + j]! - resetBias[j]!;
        }
      }
      const pBase = d * 3 * H;
      for (let b = 0; b < B; b++) {
        const length = lens ? lens[b]! : T;
        for (let j = 0; j < H; j++) {
          h[j] = h0 ? h0[at.state(d, b) + j]! : 0;
          c[j] = c0 ? c0[at.state(d, b) + j]! : 0;
        }
        for (let s = 0; s < length; s++) {
          const t = direction === "forward" ? s : length - 1 - s;
          const xAt = at.x(t, b);
          for (let k = 0; k < G; k++) pre[k] = dot(w, wBase + k * I, x, xAt, I) + inputBias[k]!;
          if (op === "lstm") {
            for (let k = 0; k < G; k++) pre[k] = pre[k]! + dot(r, rBase + k * H, h, 0, H);
            for (let j = 0; j < H; j++) {
              const cj = c[j]!;
              const input = f(pre[j]! + (peep ? peep[pBase + j]! * cj : 0));
              const forget = inputForget ? 1 - input : f(pre[2 * H + j]! + (peep ? peep[pBase + 2 * H + j]! * cj : 0));
              const cell = forget * cj + input * g(pre[3 * H + j]!);
              const output = f(pre[H + j]! + (peep ? peep[pBase + H + j]! * cell : 0));
              c[j] = cell;
              rh[j] = output * hAct(cell);
            }
          } else if (op === "gru") {
            for (let j = 0; j < H; j++) {
              z[j] = f(pre[j]! + dot(r, rBase + j * H, h, 0, H));
              const reset = f(pre[H + j]! + dot(r, rBase + (H + j) * H, h, 0, H));
              if (linearBeforeReset) pre[2 * H + j] = pre[2 * H + j]! + reset * (dot(r, rBase + (2 * H + j) * H, h, 0, H) + resetBias[j]!);
              else rh[j] = reset * h[j]!;
            }
            if (!linearBeforeReset) for (let j = 0; j < H; j++) pre[2 * H + j] = pre[2 * H + j]! + dot(r, rBase + (2 * H + j) * H, rh, 0, H);
            for (let j = 0; j < H; j++) rh[j] = (1 - z[j]!) * g(pre[2 * H + j]!) + z[j]! * h[j]!;
          } else {
            for (let j = 0; j < H; j++) rh[j] = f(pre[j]! + dot(r, rBase + j * H, h, 0, H));
          }
          h.set(rh);
          y.set(h, at.y(t, d, b));
        }
        // A sequence of length 0 ends in zero states, as in the decomposition.
        if (length > 0) {
          finals[0]!.set(h, at.state(d, b));
          if (finals[1]) finals[1].set(c, at.state(d, b));
        }
      }
    });
    writeValues(outputs[0]!, y);
    finals.forEach((v, i) => writeValues(outputs[i + 1]!, v));
  });
}

export const recurrentKernels: CpuRegistration[] = [recurrentKernel("lstm"), recurrentKernel("gru"), recurrentKernel("rnn")];
