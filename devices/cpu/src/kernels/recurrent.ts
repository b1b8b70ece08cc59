import { recurrentConfig, type RecurrentActivation as Activation, type RecurrentConfig, type RecurrentOp } from "@polychip/hal";
import { readValues, writeValues, type CpuView, type ValueArray } from "../views.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

/**
 * lstm, gru and rnn in direct loops (float64), one launch for the whole sequence: the reference
 * decomposition costs ~20 tiny launches per time step. Semantics are the HAL's (ONNX's), checked
 * against the decomposition and onnxruntime by the tests. The matrix-vector products are behind
 * RecurrentProducts so the fast path (fast/recurrent.ts) can run them in WASM and share the rest.
 */

type Fn = (x: number) => number;

/**
 * Each activation's own closure (not one wrapper calling through a table): the gate loops call
 * two or three of them per step, and distinct closures keep those call sites inlinable.
 */
const ACTIVATIONS: Record<string, (alpha: number, beta: number) => Fn> = {
  sigmoid: () => (x) => 1 / (1 + Math.exp(-x)),
  tanh: () => (x) => Math.tanh(x),
  relu: () => (x) => Math.max(x, 0),
  affine: (a, b) => (x) => a * x + b,
  leakyrelu: (a) => (x) => (x >= 0 ? x : a * x),
  thresholdedrelu: (a) => (x) => (x > a ? x : 0),
  scaledtanh: (a, b) => (x) => a * Math.tanh(b * x),
  hardsigmoid: (a, b) => (x) => Math.max(0, Math.min(1, a * x + b)),
  elu: (a) => (x) => (x >= 0 ? x : a * (Math.exp(x) - 1)),
  softsign: () => (x) => x / (1 + Math.abs(x)),
  softplus: () => (x) => Math.log(1 + Math.exp(x)),
};

function activation(act: Activation, clip: number | undefined): Fn {
  const f = ACTIVATIONS[act.name]!(act.alpha, act.beta);
  return clip === undefined ? f : (x) => f(Math.min(Math.max(x, -clip), clip));
}

/** Row `row` of a [rows, n] matrix at `base` dotted with v (length n, at `at`), summed in float64. */
function dot(m: ValueArray | Float64Array, base: number, v: ValueArray | Float64Array, at: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += m[base + k]! * v[at + k]!;
  return s;
}

/**
 * The matrix-vector products of a run, apart from the gate arithmetic: the reference computes them
 * in float64 loops; the fast path (fast/recurrent.ts) on the WASM dot-product kernel.
 */
export interface RecurrentProducts {
  /** x·W_dᵀ for every row of x in storage order ([T·B, G], row = x element offset / I): the array and where row 0 starts. */
  inputProjection(d: number): { values: ArrayLike<number>; offset: number };
  /** out[k] = R_d[first + k] · v for k < count (R_d's rows are the gates' rows, H long). */
  recurrent(d: number, first: number, count: number, v: Float64Array, out: Float64Array): void;
  /**
   * Optional: an LSTM step's gates with the default activations (sigmoid, tanh, tanh) and no
   * peepholes, clip or coupled input gate, from the pre-activations [4H]: updates c, writes h.
   * False when it declines (the general loop runs instead).
   */
  lstmCell?(pre: Float64Array, c: Float64Array, h: Float64Array): boolean;
}

/** What a products implementation is built from: the checked config and the float values of x, W and R. */
export interface RecurrentOperands {
  readonly cfg: RecurrentConfig;
  readonly x: ValueArray;
  readonly w: ValueArray;
  readonly r: ValueArray;
}

function referenceProducts({ cfg, x, w, r }: RecurrentOperands): RecurrentProducts {
  const { seqLength: T, batch: B, inputSize: I, hidden: H } = cfg;
  const G = cfg.kind.gates * H;
  return {
    inputProjection(d) {
      const values = new Float64Array(T * B * G);
      for (let row = 0; row < T * B; row++) for (let k = 0; k < G; k++) values[row * G + k] = dot(w, (d * G + k) * I, x, row * I, I);
      return { values, offset: 0 };
    },
    recurrent(d, first, count, v, out) {
      for (let k = 0; k < count; k++) out[k] = dot(r, (d * G + first + k) * H, v, 0, H);
    },
  };
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

/**
 * One recurrent op over its whole sequence. `productsFor` supplies the matrix-vector products
 * (it may decline, returning undefined, and the float64 reference loops run them instead).
 */
export function runRecurrent(
  op: RecurrentOp,
  { inputs, outputs, attrs }: Parameters<CpuKernel>[0],
  productsFor: (operands: RecurrentOperands) => RecurrentProducts | undefined = () => undefined,
): void {
  const cfg = recurrentConfig(op, inputs, attrs);
  const { batch: B, inputSize: I, hidden: H, present } = cfg;
  const G = cfg.kind.gates * H;
  // The operands as stored (shared, not copied, when contiguous): float32 values promote exactly
  // to float64 in the arithmetic, so this computes what a float64 copy would, without the copy per run.
  const read = (v: CpuView | undefined) => (v ? readValues(v) : undefined);
  const [x, w, r] = [read(inputs[0])!, read(inputs[1])!, read(inputs[2])!];
  const opt = (name: keyof typeof present) => (present[name] === undefined ? undefined : read(inputs[present[name]!]));
  const [bias, lens, h0, c0, peep] = [opt("bias"), opt("sequenceLens"), opt("initialH"), opt("initialC"), opt("peepholes")];
  const products = productsFor({ cfg, x, w, r }) ?? referenceProducts({ cfg, x, w, r });
  const { at, y, finals, h, c, pre, hr, rh, z, inputBias, resetBias, directions } = preparedFor(op, cfg, outputs);
  // Steps past a sequence's length, and the states of an empty one, stay zero.
  y.fill(0);
  for (const final of finals) final.fill(0);
  const inputForget = op === "lstm" && Boolean(attrs.inputForget);
  cfg.directions.forEach((direction, d) => {
    const { f, g, hAct, plainLstm: plain } = directions[d]!;
    const projection = products.inputProjection(d);
    const xw = projection.values;
    // Wb + Rb per gate row; GRU with linearBeforeReset keeps Rbh apart, for inside r⊙(…).
    const linearBeforeReset = op === "gru" && Boolean(attrs.linearBeforeReset);
    inputBias.fill(0);
    resetBias.fill(0);
    if (bias) {
      for (let k = 0; k < G; k++) inputBias[k] = bias[d * 2 * G + k]! + bias[d * 2 * G + G + k]!;
      if (linearBeforeReset) {
        for (let j = 0; j < H; j++) resetBias[j] = bias[d * 2 * G + G + 2 * H + j]!;
        for (let j = 0; j < H; j++) inputBias[2 * H + j] = inputBias[2 * H + j]! - resetBias[j]!;
      }
    }
    const pBase = d * 3 * H;
    const plainLstm = plain && !peep && !inputForget;
    for (let b = 0; b < B; b++) {
      const length = lens ? lens[b]! : cfg.seqLength;
      for (let j = 0; j < H; j++) {
        h[j] = h0 ? h0[at.state(d, b) + j]! : 0;
        c[j] = c0 ? c0[at.state(d, b) + j]! : 0;
      }
      for (let s = 0; s < length; s++) {
        const t = direction === "forward" ? s : length - 1 - s;
        const xwAt = projection.offset + (at.x(t, b) / I) * G;
        for (let k = 0; k < G; k++) pre[k] = xw[xwAt + k]! + inputBias[k]!;
        if (op === "lstm") {
          products.recurrent(d, 0, G, h, hr);
          for (let k = 0; k < G; k++) pre[k] = pre[k]! + hr[k]!;
          if (!(plainLstm && products.lstmCell?.(pre, c, rh)))
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
          products.recurrent(d, 0, linearBeforeReset ? G : 2 * H, h, hr);
          for (let j = 0; j < H; j++) {
            z[j] = f(pre[j]! + hr[j]!);
            const reset = f(pre[H + j]! + hr[H + j]!);
            if (linearBeforeReset) pre[2 * H + j] = pre[2 * H + j]! + reset * (hr[2 * H + j]! + resetBias[j]!);
            else rh[j] = reset * h[j]!;
          }
          if (!linearBeforeReset) {
            products.recurrent(d, 2 * H, H, rh, hr);
            for (let j = 0; j < H; j++) pre[2 * H + j] = pre[2 * H + j]! + hr[j]!;
          }
          for (let j = 0; j < H; j++) rh[j] = (1 - z[j]!) * g(pre[2 * H + j]!) + z[j]! * h[j]!;
        } else {
          products.recurrent(d, 0, H, h, hr);
          for (let j = 0; j < H; j++) rh[j] = f(pre[j]! + hr[j]!);
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
}

/** What a run of one config needs besides its operands: activations, index maps and working arrays, made once per config. */
interface Prepared {
  readonly at: Layouts;
  readonly y: Float64Array;
  readonly finals: readonly Float64Array[];
  readonly h: Float64Array;
  readonly c: Float64Array;
  readonly pre: Float64Array;
  readonly hr: Float64Array;
  readonly rh: Float64Array;
  readonly z: Float64Array;
  readonly inputBias: Float64Array;
  readonly resetBias: Float64Array;
  /** Per direction: f, g, h and whether they are LSTM's defaults with no clip (lstmCell may run the step). */
  readonly directions: readonly { readonly f: Fn; readonly g: Fn; readonly hAct: Fn; readonly plainLstm: boolean }[];
}

/**
 * Kept per config (recurrentConfig keeps one per node's attrs and input shapes): a planned session
 * calls the kernel with the same config every run, and a small LSTM's step costs less than making
 * these again. A run clears the outputs and fills every other array before reading it.
 */
const prepared = new WeakMap<RecurrentConfig, Prepared>();

function preparedFor(op: RecurrentOp, cfg: RecurrentConfig, outputs: readonly { readonly shape: readonly number[] }[]): Prepared {
  let p = prepared.get(cfg);
  if (p) return p;
  const H = cfg.hidden;
  const G = cfg.kind.gates * H;
  const size = (o: { readonly shape: readonly number[] }) => o.shape.reduce((a, b) => a * b, 1);
  p = {
    at: layouts(cfg),
    y: new Float64Array(size(outputs[0]!)),
    finals: outputs.slice(1).map((o) => new Float64Array(size(o))),
    h: new Float64Array(H),
    c: new Float64Array(H),
    pre: new Float64Array(G),
    hr: new Float64Array(G),
    rh: new Float64Array(H),
    z: new Float64Array(H),
    inputBias: new Float64Array(G),
    resetBias: new Float64Array(H),
    directions: cfg.directions.map((_, d) => {
      // The clip bounds gate pre-activations; LSTM's h(c') reads the cell state unclipped.
      const [f, g, hAct] = cfg.activations[d]!.map((a, i) => activation(a, op === "lstm" && i === 2 ? undefined : cfg.clip)) as [Fn, Fn, Fn];
      const plainLstm = op === "lstm" && cfg.clip === undefined && cfg.activations[d]!.map((a) => a.name).join() === "sigmoid,tanh,tanh";
      return { f, g, hAct, plainLstm };
    }),
  };
  prepared.set(cfg, p);
  return p;
}

/** lstm, gru and rnn with their products in float64 loops: the reference, and the fallback of the fast path. */
export const recurrentKernels: CpuRegistration[] = (["lstm", "gru", "rnn"] as const).map((op) => cpuKernel(op, (call) => runRecurrent(op, call)));
