import type { Attrs } from "../../device.ts";
import type { DType } from "../../dtype.ts";
import type { Shape } from "../../shape.ts";
import { recurrentConfig, recurrentOutputs, type Activation, type RecurrentConfig, type RecurrentOp } from "../recurrent-config.ts";
import type { DecompositionContext } from "../types.ts";
import { filled } from "./helpers.ts";

/**
 * The scan shared by the reference decompositions of `lstm`, `gru` and `rnn`, unrolled over the
 * static sequence length. Per direction: one matmul projects every time step's input at once
 * (x·Wᵀ + biases), then each step runs the cell (`CellStep`) on its slice of that projection.
 * Sequence lengths mask the state updates (a finished sequence keeps its state and writes zeros
 * to Y); a reverse direction with sequence lengths reverses each sequence's valid prefix with a
 * `gatherElements` on the time axis before the scan and again on Y after it. A sequence of
 * length 0 writes zeros to Y and to the final states.
 */

/** Scalar constants of one decomposition, uploaded once each. */
export class Scalars<V> {
  private readonly cache = new Map<number, V>();
  constructor(
    private readonly ctx: DecompositionContext<V>,
    private readonly dtype: DType,
  ) {}
  get(value: number): V {
    let v = this.cache.get(value);
    if (v === undefined) {
      v = this.ctx.constant([value], [], this.dtype);
      this.cache.set(value, v);
    }
    return v;
  }
}

/** Applies one of ONNX's recurrent activations (lower-cased name) elementwise. */
export function activate<V>(ctx: DecompositionContext<V>, k: Scalars<V>, act: Activation, x: V): V {
  const call = (op: string, ...ins: V[]) => ctx.call(op, ins);
  const { alpha, beta } = act;
  switch (act.name) {
    case "sigmoid":
    case "tanh":
    case "relu":
      return call(act.name, x);
    case "affine":
      return call("add", call("mul", x, k.get(alpha)), k.get(beta));
    case "leakyrelu":
      return call("where", call("greaterEqual", x, k.get(0)), x, call("mul", x, k.get(alpha)));
    case "thresholdedrelu":
      return call("where", call("greater", x, k.get(alpha)), x, k.get(0));
    case "scaledtanh":
      return call("mul", call("tanh", call("mul", x, k.get(beta))), k.get(alpha));
    case "hardsigmoid":
      return call("maximum", call("minimum", call("add", call("mul", x, k.get(alpha)), k.get(beta)), k.get(1)), k.get(0));
    case "elu":
      return call("where", call("greaterEqual", x, k.get(0)), x, call("mul", call("sub", call("exp", x), k.get(1)), k.get(alpha)));
    case "softsign":
      return call("div", x, call("add", call("abs", x), k.get(1)));
    case "softplus":
      return call("log", call("add", call("exp", x), k.get(1)));
    default:
      throw new Error(`HAL bug: activation '${act.name}' passed the config check but has no decomposition`);
  }
}

/** What a cell sees of one direction: its recurrent weights and the pieces of the inputs it needs. */
export interface DirectionParams<V> {
  /** R of this direction, [gates·H, H] (a contiguous slice). */
  readonly r: V;
  /** Rb of this direction, [gates·H], when a bias is given. */
  readonly rb: V | undefined;
  /** P of this direction, [3H] (LSTM peepholes i, o, f), when given. */
  readonly p: V | undefined;
  readonly activations: readonly Activation[];
}

export interface CellState<V> {
  readonly h: V;
  readonly c?: V;
}

/** Columns [first, first + width) of this step's x·Wᵀ + input bias, as a [B, width] view. */
export type StepInput<V> = (first: number, width: number) => V;

/** One time step of a cell. */
export type CellStep<V> = (
  ctx: DecompositionContext<V>,
  k: Scalars<V>,
  cfg: RecurrentConfig,
  dir: DirectionParams<V>,
  xw: StepInput<V>,
  state: CellState<V>,
) => CellState<V>;

export interface CellSpec<V> {
  readonly step: CellStep<V>;
  /** The bias added to x·Wᵀ before the scan, from this direction's Wb and Rb ([gates·H] each). */
  readonly inputBias: (ctx: DecompositionContext<V>, wb: V, rb: V) => V;
}

/** Clips a pre-activation to [-clip, clip] when the op has a clip. */
export function clipped<V>(ctx: DecompositionContext<V>, k: Scalars<V>, cfg: RecurrentConfig, x: V): V {
  if (cfg.clip === undefined) return x;
  return ctx.call("minimum", [ctx.call("maximum", [x, k.get(-cfg.clip)]), k.get(cfg.clip)]);
}

/** Gate `g` (of `gates`) of a contiguous [B, gates·H] value: a [B, H] view. */
export function gate<V>(ctx: DecompositionContext<V>, v: V, g: number, gates: number, cfg: RecurrentConfig): V {
  return ctx.view(v, [cfg.batch, cfg.hidden], [gates * cfg.hidden, 1], g * cfg.hidden);
}

/** Slice `i` of length `len` of a contiguous 1-D value. */
export function part<V>(ctx: DecompositionContext<V>, v: V, i: number, len: number, shape: Shape = [len]): V {
  return ctx.view(v, shape, shape.length === 2 ? [shape[1]!, 1] : [1], i * len);
}

/** The [B, H] slice of direction `d` of a state tensor laid out as [D, B, H] (layout 0) or [B, D, H] (layout 1). */
function stateRegion(cfg: RecurrentConfig, d: number) {
  const { batch: b, hidden: h } = cfg;
  const dirs = cfg.directions.length;
  return cfg.layout === 0 ? { shape: [b, h], strides: [h, 1], offset: d * b * h } : { shape: [b, h], strides: [dirs * h, 1], offset: d * h };
}

/** Per (step, batch) time index that reverses each sequence's valid prefix: L-1-s for s < L, else s. [T, B] int32. */
function reversalIndex<V>(ctx: DecompositionContext<V>, cfg: RecurrentConfig, lens: V): V {
  const steps = ctx.constant(
    Int32Array.from({ length: cfg.seqLength }, (_, s) => s),
    [cfg.seqLength, 1],
    "int32",
  );
  const row = ctx.reshape(lens, [1, cfg.batch]);
  const valid = ctx.call("less", [steps, row]);
  const reversed = ctx.call("sub", [ctx.call("sub", [row, ctx.constant([1], [], "int32")]), steps]);
  return ctx.call("where", [valid, reversed, ctx.call("copy", [ctx.view(steps, [cfg.seqLength, cfg.batch], [1, 0], 0)])]);
}

/** `v` [T·B or B·T rows, width] reordered along time by a [T, B] index (time-major `timeMajor`, else batch-major). */
function reorderTime<V>(ctx: DecompositionContext<V>, cfg: RecurrentConfig, v: V, index: V, width: number, timeMajor: boolean): V {
  const { seqLength: t, batch: b } = cfg;
  const shape = timeMajor ? [t, b, width] : [b, t, width];
  const idx = ctx.call("copy", [ctx.view(index, shape, timeMajor ? [b, 1, 0] : [1, b, 0], 0)]);
  return ctx.call("gatherElements", [ctx.reshape(v, shape), idx], { axis: timeMajor ? 0 : 1 });
}

/** Runs a recurrent op's reference decomposition: outputs Y, Y_h (and Y_c for LSTM). */
export function scan<V>(op: RecurrentOp, cell: CellSpec<V>, ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const cfg = recurrentConfig(
    op,
    inputs.map((v) => ctx.meta(v)),
    attrs,
  );
  const { seqLength: T, batch: B, hidden: H, inputSize: I, dtype, present } = cfg;
  const D = cfg.directions.length;
  const G = cfg.kind.gates * H;
  const k = new Scalars(ctx, dtype);
  const [x, w, r] = inputs as [V, V, V];
  const opt = (name: keyof typeof present) => (present[name] === undefined ? undefined : inputs[present[name]!]);
  const bias = opt("bias") && ctx.reshape(opt("bias")!, [D * 2 * G]);
  const lens = opt("sequenceLens");
  const initial = { h: opt("initialH"), c: opt("initialC") };
  const peepholes = opt("peepholes") && ctx.reshape(opt("peepholes")!, [D * 3 * H]);
  const x2 = ctx.reshape(x, [T * B, I]);
  const w2 = ctx.reshape(w, [D * G, I]);
  const r2 = ctx.reshape(r, [D * G, H]);
  const [yMeta, ...stateMetas] = recurrentOutputs(cfg);
  const y = filled(ctx, yMeta!.shape, dtype, 0);
  const finals = stateMetas.map((m) => filled(ctx, m.shape, dtype, 0));
  const timeMajor = cfg.layout === 0;
  const valid =
    lens &&
    ctx.call("less", [
      ctx.constant(
        Int32Array.from({ length: T }, (_, s) => s),
        [T, 1],
        "int32",
      ),
      ctx.reshape(lens, [1, B]),
    ]);
  const reversal = lens && cfg.directions.includes("reverse") ? reversalIndex(ctx, cfg, lens) : undefined;
  const zeros = k.get(0);
  const started = lens && ctx.call("greater", [ctx.reshape(lens, [B, 1]), ctx.constant([0], [], "int32")]);

  cfg.directions.forEach((direction, d) => {
    let xw = ctx.call("matmul", [x2, part(ctx, w2, d, G * I, [G, I])], { transposeB: true });
    const wb = bias && part(ctx, bias, 2 * d, G);
    const rb = bias && part(ctx, bias, 2 * d + 1, G);
    if (wb && rb) xw = ctx.call("add", [xw, cell.inputBias(ctx, wb, rb)]);
    const reverseWithLens = direction === "reverse" && reversal !== undefined;
    if (reverseWithLens) xw = ctx.reshape(reorderTime(ctx, cfg, xw, reversal, G, timeMajor), [T * B, G]);
    const params: DirectionParams<V> = {
      r: part(ctx, r2, d, G * H, [G, H]),
      rb,
      p: peepholes && part(ctx, peepholes, d, 3 * H),
      activations: cfg.activations[d]!,
    };
    const start = (v: V | undefined) =>
      v === undefined
        ? filled(ctx, [B, H], dtype, 0)
        : ctx.call("copy", [ctx.view(ctx.reshape(v, stateMetas[0]!.shape), [B, H], stateRegion(cfg, d).strides, stateRegion(cfg, d).offset)]);
    let state: CellState<V> = { h: start(initial.h), ...(op === "lstm" ? { c: start(initial.c) } : {}) };
    // Y of this direction, time-major [T, B, H], before it is placed into Y's layout.
    const ys = filled(ctx, [T, B, H], dtype, 0);
    for (let s = 0; s < T; s++) {
      // Without sequence lengths a reverse direction walks time backwards; with them, xw is already reversed per sequence.
      const t = direction === "reverse" && !reverseWithLens ? T - 1 - s : s;
      const rows = timeMajor ? { stride: G, offset: t * B * G } : { stride: T * G, offset: t * G };
      const slice: StepInput<V> = (first, width) => ctx.view(xw, [B, width], [rows.stride, 1], rows.offset + first);
      const next = cell.step(ctx, k, cfg, params, slice, state);
      let out = next.h;
      if (valid) {
        const mask = ctx.view(valid, [B, 1], [1, 1], (reverseWithLens ? s : t) * B);
        out = ctx.call("where", [mask, next.h, zeros]);
        state = { h: ctx.call("where", [mask, next.h, state.h]), ...(next.c && state.c ? { c: ctx.call("where", [mask, next.c, state.c]) } : {}) };
      } else state = next;
      ctx.copyInto(ys, { shape: [B, H], strides: [H, 1], offset: (reverseWithLens ? s : t) * B * H }, out);
    }
    const yd = reverseWithLens ? reorderTime(ctx, cfg, ys, reversal, H, true) : ys;
    const yRegion = timeMajor
      ? { shape: [T, B, H], strides: [D * B * H, H, 1], offset: d * B * H }
      : { shape: [T, B, H], strides: [D * H, T * D * H, 1], offset: d * H };
    ctx.copyInto(y, yRegion, yd);
    // A sequence of length 0 ends in zero states (onnxruntime's answer; ONNX leaves it open).
    const final = (v: V) => (started ? ctx.call("where", [started, v, zeros]) : v);
    ctx.copyInto(finals[0]!, stateRegion(cfg, d), final(state.h));
    if (state.c && finals[1]) ctx.copyInto(finals[1], stateRegion(cfg, d), final(state.c));
  });
  return [y, ...finals];
}
