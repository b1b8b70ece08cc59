import { formatShape, ShapeError } from "@polychip/hal";
import { full } from "../../ops/creation.ts";
import { split } from "../../ops/indexing.ts";
import { linear } from "../../ops/linalg.ts";
import type { Tensor } from "../../tensor.ts";
import { uniform } from "../init.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";

/**
 * PyTorch's recurrent cells written in engine ops, so autograd and tracing come for free. Gate
 * orders are PyTorch's: LSTM i, f, g, o; GRU r, z, n. `xw` is the input projection x·W_ihᵀ + b_ih
 * (the layers compute it for every time step with one matmul).
 */

export type CellKind = "lstm" | "gru" | "rnnTanh" | "rnnRelu";

export const CELL_GATES: Readonly<Record<CellKind, number>> = { lstm: 4, gru: 3, rnnTanh: 1, rnnRelu: 1 };

export interface CellWeights {
  readonly weightIh: Tensor;
  readonly weightHh: Tensor;
  readonly biasIh: Tensor | undefined;
  readonly biasHh: Tensor | undefined;
}

export interface CellState {
  readonly h: Tensor;
  readonly c?: Tensor;
}

/** One step of a cell given this step's input projection `xw` [B, gates·H]. */
export function cellStep(kind: CellKind, w: CellWeights, xw: Tensor, state: CellState): CellState {
  const hidden = w.weightHh.shape[1]!;
  const hw = linear(state.h, w.weightHh, w.biasHh);
  if (kind === "lstm") {
    const [i, f, g, o] = split(xw.add(hw), hidden, 1) as [Tensor, Tensor, Tensor, Tensor];
    const c = f.sigmoid().mul(state.c!).add(i.sigmoid().mul(g.tanh()));
    return { h: o.sigmoid().mul(c.tanh()), c };
  }
  if (kind === "gru") {
    const [xr, xz, xn] = split(xw, hidden, 1) as [Tensor, Tensor, Tensor];
    const [hr, hz, hn] = split(hw, hidden, 1) as [Tensor, Tensor, Tensor];
    const r = xr.add(hr).sigmoid();
    const z = xz.add(hz).sigmoid();
    const n = xn.add(r.mul(hn)).tanh();
    // (1 − z)·n + z·h, written with one fewer op.
    return { h: n.add(z.mul(state.h.sub(n))) };
  }
  const pre = xw.add(hw);
  return { h: kind === "rnnTanh" ? pre.tanh() : pre.relu() };
}

/** The input projection of one step or of a whole sequence: x·W_ihᵀ + b_ih. */
export function inputProjection(w: CellWeights, x: Tensor): Tensor {
  return linear(x, w.weightIh, w.biasIh);
}

/** Creates weight_ih, weight_hh (and the biases) initialised U(−1/√H, 1/√H), as PyTorch does. */
export function cellParameters(kind: CellKind, inputSize: number, hiddenSize: number, bias: boolean, device: string | undefined): CellWeights {
  if (!Number.isInteger(inputSize) || inputSize <= 0 || !Number.isInteger(hiddenSize) || hiddenSize <= 0) {
    throw new ShapeError(`${kind}: inputSize and hiddenSize must be positive integers, got ${inputSize} and ${hiddenSize}`);
  }
  const bound = 1 / Math.sqrt(hiddenSize);
  const rows = CELL_GATES[kind] * hiddenSize;
  return {
    weightIh: parameter(uniform([rows, inputSize], bound, device)),
    weightHh: parameter(uniform([rows, hiddenSize], bound, device)),
    biasIh: bias ? parameter(uniform([rows], bound, device)) : undefined,
    biasHh: bias ? parameter(uniform([rows], bound, device)) : undefined,
  };
}

/** Checks a cell's input ([B, I] or unbatched [I]) and returns it batched. */
function batched(name: string, x: Tensor, inputSize: number): Tensor {
  if ((x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== inputSize) {
    throw new ShapeError(`${name}: input must be [batch, ${inputSize}] or [${inputSize}], got ${x.dtype}${formatShape(x.shape)}`);
  }
  return x.ndim === 1 ? x.reshape([1, inputSize]) : x;
}

/** The zero state PyTorch starts from when none is given. */
export function zeroState(like: Tensor, batch: number, hidden: number): Tensor {
  return full([batch, hidden], 0, { dtype: like.dtype, device: like.device });
}

/** A state given by the caller, checked against [B, H] (or [H] for an unbatched input). */
function stateOf(name: string, what: string, s: Tensor | undefined, x: Tensor, batch: number, hidden: number): Tensor {
  if (s === undefined) return zeroState(x, batch, hidden);
  const expected = x.ndim === 1 ? [hidden] : [batch, hidden];
  if (formatShape(s.shape) !== formatShape(expected)) throw new ShapeError(`${name}: ${what} must be ${formatShape(expected)}, got ${formatShape(s.shape)}`);
  return s.reshape([batch, hidden]);
}

/** Base of LSTMCell, GRUCell and RNNCell: parameters named as PyTorch's (weight_ih, weight_hh, bias_ih, bias_hh). */
abstract class RecurrentCell extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias_ih: Tensor | undefined;
  bias_hh: Tensor | undefined;

  protected constructor(
    readonly kind: CellKind,
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: { bias?: boolean; device?: string },
  ) {
    super();
    const w = cellParameters(kind, inputSize, hiddenSize, opts.bias !== false, opts.device);
    this.weight_ih = w.weightIh;
    this.weight_hh = w.weightHh;
    this.bias_ih = w.biasIh;
    this.bias_hh = w.biasHh;
  }

  protected weights(): CellWeights {
    return { weightIh: this.weight_ih, weightHh: this.weight_hh, biasIh: this.bias_ih, biasHh: this.bias_hh };
  }

  /** One step: the new state, unbatched when `x` is. */
  forwardWithState(x: Tensor, state: { h?: Tensor; c?: Tensor } = {}): CellState {
    const name = this.constructor.name;
    const xb = batched(name, x, this.inputSize);
    const batch = xb.shape[0]!;
    const h = stateOf(name, "h", state.h, x, batch, this.hiddenSize);
    const c = this.kind === "lstm" ? stateOf(name, "c", state.c, x, batch, this.hiddenSize) : undefined;
    const next = cellStep(this.kind, this.weights(), inputProjection(this.weights(), xb), { h, ...(c ? { c } : {}) });
    const shape = x.ndim === 1 ? [this.hiddenSize] : [batch, this.hiddenSize];
    return { h: next.h.reshape(shape), ...(next.c ? { c: next.c.reshape(shape) } : {}) };
  }
}

/** PyTorch's LSTMCell: forward(x, h?, c?) gives h'; forwardWithState gives { h, c }. */
export class LSTMCell extends RecurrentCell {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; device?: string } = {}) {
    super("lstm", inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, h?: Tensor, c?: Tensor): Tensor {
    return this.forwardWithState(x, { h, c }).h;
  }
}

/** PyTorch's GRUCell (the reset gate applied after the recurrent matmul): forward(x, h?) gives h'. */
export class GRUCell extends RecurrentCell {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; device?: string } = {}) {
    super("gru", inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, h?: Tensor): Tensor {
    return this.forwardWithState(x, { h }).h;
  }
}

/** PyTorch's RNNCell with nonlinearity "tanh" (default) or "relu": forward(x, h?) gives h'. */
export class RNNCell extends RecurrentCell {
  constructor(inputSize: number, hiddenSize: number, opts: { bias?: boolean; nonlinearity?: "tanh" | "relu"; device?: string } = {}) {
    super(nonlinearityKind(opts.nonlinearity), inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, h?: Tensor): Tensor {
    return this.forwardWithState(x, { h }).h;
  }
}

export function nonlinearityKind(nonlinearity: string | undefined): CellKind {
  if (nonlinearity === undefined || nonlinearity === "tanh") return "rnnTanh";
  if (nonlinearity === "relu") return "rnnRelu";
  throw new ShapeError(`RNN: nonlinearity must be "tanh" or "relu", got ${JSON.stringify(nonlinearity)}`);
}
