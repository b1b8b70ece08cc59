import { formatShape, ShapeError } from "@polychip/hal";
import { isGradEnabled } from "../../tape/grad-mode.ts";
import { activeRecorder } from "../../tape/trace-hook.ts";
import { cat, stack } from "../../ops/indexing.ts";
import { dropout as dropoutOp } from "../../ops/nn-functional.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";
import { cellParameters, cellStep, inputProjection, nonlinearityKind, zeroState, type CellKind, type CellState, type CellWeights } from "./recurrent-cells.ts";
import { compositeLayer } from "./recurrent-composite.ts";

export interface RecurrentOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, while training. */
  dropout?: number;
  bidirectional?: boolean;
  device?: string;
}

export interface RecurrentResult {
  /** [T, B, D·H] ([B, T, D·H] with batchFirst, [T, D·H] unbatched). */
  readonly output: Tensor;
  /** Final hidden states, [layers·D, B, H] ([layers·D, H] unbatched). */
  readonly h: Tensor;
  /** Final cell states (LSTM only), shaped as `h`. */
  readonly c?: Tensor;
}

/**
 * PyTorch's multi-layer RNN, LSTM and GRU. Parameters are named as PyTorch's
 * (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, then _reverse for the backward direction),
 * so state dicts map one to one. Training runs the cells in engine ops (autograd); inference
 * (gradients off, not tracing, no active dropout) runs each layer as one HAL recurrent composite,
 * which a device may implement natively.
 */
abstract class RecurrentLayer extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;

  protected constructor(
    readonly kind: CellKind,
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: RecurrentOptions,
  ) {
    super();
    this.numLayers = opts.numLayers ?? 1;
    this.bias = opts.bias !== false;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    this.bidirectional = opts.bidirectional ?? false;
    const name = this.constructor.name;
    if (!Number.isInteger(this.numLayers) || this.numLayers < 1) throw new ShapeError(`${name}: numLayers must be a positive integer, got ${this.numLayers}`);
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new ShapeError(`${name}: dropout must be in [0, 1), got ${this.dropout}`);
    const self = this as unknown as Record<string, Tensor | undefined>;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (const suffix of this.suffixes()) {
        const w = cellParameters(kind, layer === 0 ? inputSize : hiddenSize * this.suffixes().length, hiddenSize, this.bias, opts.device);
        self[`weight_ih_l${layer}${suffix}`] = w.weightIh;
        self[`weight_hh_l${layer}${suffix}`] = w.weightHh;
        if (this.bias) {
          self[`bias_ih_l${layer}${suffix}`] = w.biasIh;
          self[`bias_hh_l${layer}${suffix}`] = w.biasHh;
        }
      }
    }
  }

  private suffixes(): string[] {
    return this.bidirectional ? ["", "_reverse"] : [""];
  }

  /** The weights of one layer and direction (0 forward, 1 reverse). */
  weightsOf(layer: number, direction: number): CellWeights {
    const self = this as unknown as Record<string, Tensor | undefined>;
    const suffix = this.suffixes()[direction]!;
    return {
      weightIh: self[`weight_ih_l${layer}${suffix}`]!,
      weightHh: self[`weight_hh_l${layer}${suffix}`]!,
      biasIh: self[`bias_ih_l${layer}${suffix}`],
      biasHh: self[`bias_hh_l${layer}${suffix}`],
    };
  }

  /** Output and final states for x ([T, B, I], [B, T, I] with batchFirst, or unbatched [T, I]). */
  forwardWithState(x: Tensor, state: { h?: Tensor; c?: Tensor } = {}): RecurrentResult {
    const name = this.constructor.name;
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 1] !== this.inputSize) {
      throw new ShapeError(
        `${name}: input must be [seq, batch, ${this.inputSize}]${this.batchFirst ? " (batchFirst: [batch, seq, …])" : ""} or unbatched [seq, ${this.inputSize}], got ${x.dtype}${formatShape(x.shape)}`,
      );
    }
    const unbatched = x.ndim === 2;
    // Time-major [T, B, I] inside.
    const seq = unbatched ? x.reshape([x.shape[0]!, 1, this.inputSize]) : this.batchFirst ? x.transpose(0, 1) : x;
    const batch = seq.shape[1]!;
    const directions = this.suffixes().length;
    const initial = (s: Tensor | undefined, what: string) => this.initialState(name, what, s, seq, unbatched);
    const h0 = initial(state.h, "h0");
    const c0 = this.kind === "lstm" ? initial(state.c, "c0") : undefined;
    const fast = !isGradEnabled() && activeRecorder() === undefined && (this.dropout === 0 || !this.training);
    let input = seq;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      // This layer's initial states, [D, B, H] (slices of h0/c0), and one direction's [B, H].
      const ofLayer = (s: Tensor | undefined) => s?.slice(0, layer * directions, (layer + 1) * directions);
      const ofDirection = (s: Tensor | undefined, d: number) =>
        ofLayer(s)
          ?.slice(0, d, d + 1)
          .reshape([batch, this.hiddenSize]) ?? zeroState(input, batch, this.hiddenSize);
      const result = fast
        ? compositeLayer(
            this.kind,
            Array.from({ length: directions }, (_, d) => this.weightsOf(layer, d)),
            input,
            ofLayer(h0),
            ofLayer(c0),
          )
        : this.layerInEngineOps(layer, input, (d) => ({ h: ofDirection(h0, d), ...(this.kind === "lstm" ? { c: ofDirection(c0, d) } : {}) }));
      hs.push(...result.h);
      cs.push(...result.c);
      input = layer < this.numLayers - 1 && this.dropout > 0 ? dropoutOp(result.output, this.dropout, this.training) : result.output;
    }
    const output = unbatched ? input.reshape([input.shape[0]!, directions * this.hiddenSize]) : this.batchFirst ? input.transpose(0, 1) : input;
    const finalState = (list: Tensor[]) => (unbatched ? stack(list, 0).reshape([list.length, this.hiddenSize]) : stack(list, 0));
    return { output, h: finalState(hs), ...(this.kind === "lstm" ? { c: finalState(cs) } : {}) };
  }

  /** One layer, both directions, in engine ops: output [T, B, D·H] and each direction's final states. */
  private layerInEngineOps(layer: number, input: Tensor, start: (direction: number) => CellState): { output: Tensor; h: Tensor[]; c: Tensor[] } {
    const steps = input.shape[0]!;
    const outputs: Tensor[] = [];
    const h: Tensor[] = [];
    const c: Tensor[] = [];
    this.suffixes().forEach((_, d) => {
      const w = this.weightsOf(layer, d);
      const projected = inputProjection(w, input);
      const perStep: Tensor[] = new Array(steps);
      let state = start(d);
      for (let s = 0; s < steps; s++) {
        const t = d === 0 ? s : steps - 1 - s;
        const xw = projected.slice(0, t, t + 1).reshape(projected.shape.slice(1));
        state = cellStep(this.kind, w, xw, state);
        perStep[t] = state.h;
      }
      outputs.push(stack(perStep, 0));
      h.push(state.h);
      if (state.c) c.push(state.c);
    });
    return { output: outputs.length === 1 ? outputs[0]! : cat(outputs, 2), h, c };
  }

  /** h0/c0 checked against [layers·D, B, H] ([layers·D, H] unbatched) and returned as [layers·D, B, H]. */
  private initialState(name: string, what: string, s: Tensor | undefined, seq: Tensor, unbatched: boolean): Tensor | undefined {
    if (s === undefined) return undefined;
    const count = this.numLayers * this.suffixes().length;
    const batch = seq.shape[1]!;
    const expected = unbatched ? [count, this.hiddenSize] : [count, batch, this.hiddenSize];
    if (formatShape(s.shape) !== formatShape(expected)) throw new ShapeError(`${name}: ${what} must be ${formatShape(expected)}, got ${formatShape(s.shape)}`);
    return s.reshape([count, batch, this.hiddenSize]);
  }
}

/** PyTorch's LSTM: forward(x, h0?, c0?) gives the output; forwardWithState gives { output, h, c }. */
export class LSTM extends RecurrentLayer {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super("lstm", inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, h0?: Tensor, c0?: Tensor): Tensor {
    return this.forwardWithState(x, { h: h0, c: c0 }).output;
  }
}

/** PyTorch's GRU: forward(x, h0?) gives the output; forwardWithState gives { output, h }. */
export class GRU extends RecurrentLayer {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super("gru", inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, h0?: Tensor): Tensor {
    return this.forwardWithState(x, { h: h0 }).output;
  }
}

/** PyTorch's Elman RNN with nonlinearity "tanh" (default) or "relu". */
export class RNN extends RecurrentLayer {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions & { nonlinearity?: "tanh" | "relu" } = {}) {
    super(nonlinearityKind(opts.nonlinearity), inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, h0?: Tensor): Tensor {
    return this.forwardWithState(x, { h: h0 }).output;
  }
}
