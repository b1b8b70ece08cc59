import type { Attrs } from "../device.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { formatShape } from "../shape.ts";
import { numAttr } from "./attrs.ts";
import type { TensorMeta } from "./types.ts";

/**
 * What the recurrent ops (`lstm`, `gru`, `rnn`) read from their inputs and attrs, checked once
 * and shared by shape inference and the reference decompositions. Semantics are ONNX's
 * (opsets 7–22): gate order, weight layouts, directions, sequence lengths, layouts 0 and 1.
 */

export type RecurrentOp = "lstm" | "gru" | "rnn";
export type OptionalInput = "bias" | "sequenceLens" | "initialH" | "initialC" | "peepholes";

export interface RecurrentKind {
  readonly op: RecurrentOp;
  /** Gates stacked in W and R: 4 (LSTM i,o,f,c), 3 (GRU z,r,h), 1 (RNN). */
  readonly gates: number;
  /** The activations each direction uses, with the defaults ONNX gives. */
  readonly defaultActivations: readonly string[];
  /** The optional inputs the op accepts, in ONNX's input order. */
  readonly optionalInputs: readonly OptionalInput[];
  /** Number of outputs: Y, Y_h (and Y_c for LSTM). */
  readonly outputs: number;
}

export const RECURRENT_KINDS: Readonly<Record<RecurrentOp, RecurrentKind>> = {
  lstm: {
    op: "lstm",
    gates: 4,
    defaultActivations: ["sigmoid", "tanh", "tanh"],
    optionalInputs: ["bias", "sequenceLens", "initialH", "initialC", "peepholes"],
    outputs: 3,
  },
  gru: { op: "gru", gates: 3, defaultActivations: ["sigmoid", "tanh"], optionalInputs: ["bias", "sequenceLens", "initialH"], outputs: 2 },
  rnn: { op: "rnn", gates: 1, defaultActivations: ["tanh"], optionalInputs: ["bias", "sequenceLens", "initialH"], outputs: 2 },
};

/** Default alpha and beta of each activation ONNX's recurrent ops name (lower-cased). */
export const ACTIVATION_DEFAULTS: Readonly<Record<string, { readonly alpha: number; readonly beta: number }>> = {
  sigmoid: { alpha: 0, beta: 0 },
  tanh: { alpha: 0, beta: 0 },
  relu: { alpha: 0, beta: 0 },
  affine: { alpha: 1, beta: 0 },
  leakyrelu: { alpha: 0.01, beta: 0 },
  thresholdedrelu: { alpha: 1, beta: 0 },
  scaledtanh: { alpha: 1, beta: 1 },
  hardsigmoid: { alpha: 0.2, beta: 0.5 },
  elu: { alpha: 1, beta: 0 },
  softsign: { alpha: 0, beta: 0 },
  softplus: { alpha: 0, beta: 0 },
};

/** Which of alpha and beta each activation takes: how ONNX's flat activation_alpha/beta lists are consumed. */
export const ACTIVATION_PARAMS: Readonly<Record<string, { readonly alpha: boolean; readonly beta: boolean }>> = {
  affine: { alpha: true, beta: true },
  leakyrelu: { alpha: true, beta: false },
  thresholdedrelu: { alpha: true, beta: false },
  scaledtanh: { alpha: true, beta: true },
  hardsigmoid: { alpha: true, beta: true },
  elu: { alpha: true, beta: false },
};

export interface Activation {
  readonly name: string;
  readonly alpha: number;
  readonly beta: number;
}

export interface RecurrentConfig {
  readonly kind: RecurrentKind;
  readonly seqLength: number;
  readonly batch: number;
  readonly inputSize: number;
  readonly hidden: number;
  /** One entry per direction, in output order: forward first for bidirectional. */
  readonly directions: readonly ("forward" | "reverse")[];
  readonly layout: 0 | 1;
  readonly clip: number | undefined;
  /** The activations of each direction. */
  readonly activations: readonly (readonly Activation[])[];
  /** Position in the op's inputs of each optional input that is present. */
  readonly present: Readonly<Partial<Record<OptionalInput, number>>>;
  readonly dtype: TensorMeta["dtype"];
}

const describe = (ms: readonly TensorMeta[]) => ms.map((m) => `${m.dtype}${formatShape(m.shape)}`).join(", ");

function requireShape(op: string, what: string, m: TensorMeta, expected: readonly number[]): void {
  if (m.shape.length !== expected.length || m.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`${op}: ${what} must be ${formatShape(expected)}, got ${formatShape(m.shape)}`);
  }
}

/** Parses attrs.optionalInputs ("bias,initialH"): which optional inputs follow x, w, r, in the op's input order. */
function presentInputs(kind: RecurrentKind, attrs: Attrs, count: number): Partial<Record<OptionalInput, number>> {
  const raw = attrs.optionalInputs;
  if (raw !== undefined && raw !== null && typeof raw !== "string")
    throw new ShapeError(`${kind.op}: attribute 'optionalInputs' must be a comma-separated string`);
  const names = raw
    ? raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s)
    : [];
  const present: Partial<Record<OptionalInput, number>> = {};
  let last = -1;
  names.forEach((name, i) => {
    const order = kind.optionalInputs.indexOf(name as OptionalInput);
    if (order < 0) throw new ShapeError(`${kind.op}: unknown optional input '${name}' (it takes ${kind.optionalInputs.join(", ")})`);
    if (order <= last)
      throw new ShapeError(`${kind.op}: optionalInputs must list each input once, in the order ${kind.optionalInputs.join(", ")}; got '${raw}'`);
    last = order;
    present[name as OptionalInput] = 3 + i;
  });
  if (count !== 3 + names.length)
    throw new ShapeError(`${kind.op}: expects x, w, r and the ${names.length} optional input(s) named by optionalInputs ('${raw ?? ""}'), got ${count} inputs`);
  return present;
}

function parseActivations(kind: RecurrentKind, attrs: Attrs, directions: number): Activation[][] {
  const op = kind.op;
  const per = kind.defaultActivations.length;
  const raw = attrs.activations;
  if (raw !== undefined && raw !== null && typeof raw !== "string") throw new ShapeError(`${op}: attribute 'activations' must be a comma-separated string`);
  const given = raw ? raw.split(",").map((s) => s.trim().toLowerCase()) : [...kind.defaultActivations];
  const list = (name: "activationAlpha" | "activationBeta"): readonly (number | undefined)[] => {
    const v = attrs[name];
    if (v === undefined || v === null) return given.map(() => undefined);
    if (!Array.isArray(v) || v.length !== given.length)
      throw new ShapeError(`${op}: attribute '${name}' must list one number per activation (${given.length}), got ${JSON.stringify(v)}`);
    return v as readonly number[];
  };
  const acts = given.map((name, i): Activation => {
    const defaults = ACTIVATION_DEFAULTS[name];
    if (!defaults) throw new ShapeError(`${op}: unknown activation '${name}' (known: ${Object.keys(ACTIVATION_DEFAULTS).join(", ")})`);
    return { name, alpha: list("activationAlpha")[i] ?? defaults.alpha, beta: list("activationBeta")[i] ?? defaults.beta };
  });
  // One direction's list serves both directions of a bidirectional op.
  const all = acts.length === per && directions === 2 ? [...acts, ...acts] : acts;
  if (all.length !== per * directions)
    throw new ShapeError(`${op}: expects ${per * directions} activations (${per} per direction), got ${acts.length} ('${raw}')`);
  return Array.from({ length: directions }, (_, d) => all.slice(d * per, (d + 1) * per));
}

/** A config read before, by attrs object, with the op and input metas it was read for. */
const configs = new WeakMap<Attrs, { readonly op: RecurrentOp; readonly ins: readonly TensorMeta[]; readonly config: RecurrentConfig }>();

function sameMetas(a: readonly TensorMeta[], b: readonly TensorMeta[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.dtype !== y.dtype || x.shape.length !== y.shape.length) return false;
    for (let d = 0; d < x.shape.length; d++) if (x.shape[d] !== y.shape[d]) return false;
  }
  return true;
}

/**
 * Reads and checks the inputs and attrs of a recurrent op; every error names the op and the
 * shapes. A node's kernel asks again on every run with the same attrs object: the config read
 * for those attrs is reused while the op and the inputs' dtypes and shapes are the same (attrs
 * objects are not changed once a node holds them).
 */
export function recurrentConfig(op: RecurrentOp, ins: readonly TensorMeta[], attrs: Attrs): RecurrentConfig {
  const kept = configs.get(attrs);
  if (kept && kept.op === op && sameMetas(kept.ins, ins)) return kept.config;
  const config = readRecurrentConfig(op, ins, attrs);
  configs.set(attrs, { op, ins: ins.map((m) => ({ dtype: m.dtype, shape: [...m.shape] })), config });
  return config;
}

function readRecurrentConfig(op: RecurrentOp, ins: readonly TensorMeta[], attrs: Attrs): RecurrentConfig {
  const kind = RECURRENT_KINDS[op];
  const present = presentInputs(kind, attrs, ins.length);
  const [x, w, r] = ins as [TensorMeta, TensorMeta, TensorMeta];
  if (x.dtype !== "float32" && x.dtype !== "float16") throw new DTypeError(`${op}: expects float inputs, got ${describe(ins)}`);
  ins.forEach((m, i) => {
    const isLens = i === present.sequenceLens;
    if (isLens ? m.dtype !== "int32" : m.dtype !== x.dtype) {
      throw new DTypeError(`${op}: ${isLens ? "sequenceLens must be int32" : `every input but sequenceLens must be ${x.dtype}`}, got ${describe(ins)}`);
    }
  });
  if (x.shape.length !== 3) throw new ShapeError(`${op}: x must be 3-D, got ${formatShape(x.shape)}`);
  const layout = numAttr(op, attrs, "layout", 0);
  if (layout !== 0 && layout !== 1) throw new ShapeError(`${op}: layout must be 0 or 1, got ${layout}`);
  const [seqLength, batch] = layout === 0 ? [x.shape[0]!, x.shape[1]!] : [x.shape[1]!, x.shape[0]!];
  const inputSize = x.shape[2]!;
  const direction = attrs.direction ?? "forward";
  if (direction !== "forward" && direction !== "reverse" && direction !== "bidirectional") {
    throw new ShapeError(`${op}: direction must be forward, reverse or bidirectional, got ${JSON.stringify(direction)}`);
  }
  const directions: ("forward" | "reverse")[] = direction === "bidirectional" ? ["forward", "reverse"] : [direction];
  const d = directions.length;
  if (r.shape.length !== 3) throw new ShapeError(`${op}: r must be [directions, ${kind.gates}*hidden, hidden], got ${formatShape(r.shape)}`);
  const hidden = r.shape[2]!;
  const declared = attrs.hiddenSize;
  if (declared !== undefined && declared !== null && declared !== hidden)
    throw new ShapeError(`${op}: hiddenSize ${declared} does not match r ${formatShape(r.shape)}`);
  const g = kind.gates * hidden;
  requireShape(op, "w", w, [d, g, inputSize]);
  requireShape(op, "r", r, [d, g, hidden]);
  const state = layout === 0 ? [d, batch, hidden] : [batch, d, hidden];
  const check = (name: OptionalInput, expected: number[]) => present[name] !== undefined && requireShape(op, name, ins[present[name]!]!, expected);
  check("bias", [d, 2 * g]);
  check("sequenceLens", [batch]);
  check("initialH", state);
  check("initialC", state);
  check("peepholes", [d, 3 * hidden]);
  const clipRaw = attrs.clip;
  if (clipRaw !== undefined && clipRaw !== null && (typeof clipRaw !== "number" || !(clipRaw > 0)))
    throw new ShapeError(`${op}: clip must be a positive number, got ${JSON.stringify(clipRaw)}`);
  return {
    kind,
    seqLength,
    batch,
    inputSize,
    hidden,
    directions,
    layout,
    dtype: x.dtype,
    clip: typeof clipRaw === "number" ? clipRaw : undefined,
    activations: parseActivations(kind, attrs, d),
    present,
  };
}

/** Output metas: Y, Y_h (and Y_c), in the chosen layout. */
export function recurrentOutputs(c: RecurrentConfig): TensorMeta[] {
  const d = c.directions.length;
  const y = c.layout === 0 ? [c.seqLength, d, c.batch, c.hidden] : [c.batch, c.seqLength, d, c.hidden];
  const state = c.layout === 0 ? [d, c.batch, c.hidden] : [c.batch, d, c.hidden];
  return [{ shape: y, dtype: c.dtype }, ...Array.from({ length: c.kind.outputs - 1 }, () => ({ shape: state, dtype: c.dtype }))];
}
