import { PolychipError } from "@polychip/hal";
import { add, gelu, relu } from "../../ops/basic.ts";
import { dropout } from "../../ops/nn-functional.ts";
import type { Tensor } from "../../tensor.ts";
import { buildLayers } from "./layer-stack.ts";
import { Module } from "../module.ts";
import { MultiheadAttention, type MultiheadAttentionCall } from "./attention.ts";
import { Linear } from "./linear.ts";
import { LayerNorm } from "./normalization.ts";

export interface TransformerLayerConfig {
  dimFeedforward?: number;
  dropout?: number;
  activation?: "relu" | "gelu";
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before attention and feed-forward) instead of torch's default post-norm. */
  normFirst?: boolean;
  bias?: boolean;
  device?: string;
}

export interface EncoderCall {
  mask?: Tensor;
  srcKeyPaddingMask?: Tensor;
  isCausal?: boolean;
}

export interface DecoderCall {
  tgtMask?: Tensor;
  memoryMask?: Tensor;
  tgtKeyPaddingMask?: Tensor;
  memoryKeyPaddingMask?: Tensor;
  tgtIsCausal?: boolean;
}

/** The parts encoder and decoder layers share: settings, the feed-forward block and dropout. */
abstract class TransformerLayerBase extends Module {
  linear1: Linear;
  linear2: Linear;
  protected readonly p: number;
  protected readonly normFirst: boolean;
  protected readonly activation: (x: Tensor) => Tensor;
  protected readonly mha: ConstructorParameters<typeof MultiheadAttention>[2];

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    c: TransformerLayerConfig,
  ) {
    super();
    this.p = c.dropout ?? 0.1;
    this.normFirst = c.normFirst ?? false;
    const act = c.activation ?? "relu";
    if (act !== "relu" && act !== "gelu") throw new PolychipError(`Transformer layer: activation must be 'relu' or 'gelu', got ${JSON.stringify(act)}`);
    this.activation = act === "relu" ? relu : gelu;
    this.mha = { dropout: this.p, batchFirst: c.batchFirst, bias: c.bias, device: c.device };
    const ff = c.dimFeedforward ?? 2048;
    this.linear1 = new Linear(dModel, ff, { bias: c.bias, device: c.device });
    this.linear2 = new Linear(ff, dModel, { bias: c.bias, device: c.device });
  }

  protected drop(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }

  protected feedForward(x: Tensor): Tensor {
    return this.drop(this.linear2.call(this.drop(this.activation(this.linear1.call(x)))));
  }

  protected norm(c: TransformerLayerConfig, device?: string): LayerNorm {
    return new LayerNorm(this.dModel, c.layerNormEps ?? 1e-5, { device });
  }
}

/** torch.nn.TransformerEncoderLayer: self-attention then feed-forward, each with a residual and LayerNorm. */
export class TransformerEncoderLayer extends TransformerLayerBase {
  selfAttn: MultiheadAttention;
  norm1: LayerNorm;
  norm2: LayerNorm;

  constructor(dModel: number, nhead: number, config: TransformerLayerConfig = {}) {
    super(dModel, nhead, config);
    this.selfAttn = new MultiheadAttention(dModel, nhead, this.mha);
    this.norm1 = this.norm(config, config.device);
    this.norm2 = this.norm(config, config.device);
  }

  forward(src: Tensor): Tensor {
    return this.encode(src);
  }

  encode(src: Tensor, opts: EncoderCall = {}): Tensor {
    const sa = (x: Tensor) => {
      const call: MultiheadAttentionCall = { attnMask: opts.mask, keyPaddingMask: opts.srcKeyPaddingMask, isCausal: opts.isCausal, needWeights: false };
      return this.drop(this.selfAttn.attend(x, x, x, call).output);
    };
    if (this.normFirst) {
      const x = add(src, sa(this.norm1.call(src)));
      return add(x, this.feedForward(this.norm2.call(x)));
    }
    const x = this.norm1.call(add(src, sa(src)));
    return this.norm2.call(add(x, this.feedForward(x)));
  }
}

/** torch.nn.TransformerDecoderLayer: masked self-attention, attention over the encoder's memory, feed-forward. */
export class TransformerDecoderLayer extends TransformerLayerBase {
  selfAttn: MultiheadAttention;
  multiheadAttn: MultiheadAttention;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;

  constructor(dModel: number, nhead: number, config: TransformerLayerConfig = {}) {
    super(dModel, nhead, config);
    this.selfAttn = new MultiheadAttention(dModel, nhead, this.mha);
    this.multiheadAttn = new MultiheadAttention(dModel, nhead, this.mha);
    this.norm1 = this.norm(config, config.device);
    this.norm2 = this.norm(config, config.device);
    this.norm3 = this.norm(config, config.device);
  }

  forward(tgt: Tensor, memory?: Tensor): Tensor {
    if (!memory) throw new PolychipError("TransformerDecoderLayer: forward(tgt, memory) needs the encoder's memory");
    return this.decode(tgt, memory);
  }

  decode(tgt: Tensor, memory: Tensor, o: DecoderCall = {}): Tensor {
    const sa = (x: Tensor) =>
      this.drop(
        this.selfAttn.attend(x, x, x, { attnMask: o.tgtMask, keyPaddingMask: o.tgtKeyPaddingMask, isCausal: o.tgtIsCausal, needWeights: false }).output,
      );
    const ca = (x: Tensor) =>
      this.drop(this.multiheadAttn.attend(x, memory, memory, { attnMask: o.memoryMask, keyPaddingMask: o.memoryKeyPaddingMask, needWeights: false }).output);
    if (this.normFirst) {
      let x = add(tgt, sa(this.norm1.call(tgt)));
      x = add(x, ca(this.norm2.call(x)));
      return add(x, this.feedForward(this.norm3.call(x)));
    }
    let x = this.norm1.call(add(tgt, sa(tgt)));
    x = this.norm2.call(add(x, ca(x)));
    return this.norm3.call(add(x, this.feedForward(x)));
  }
}

/** A stack of encoder layers (torch deep-copies one layer; here a factory builds each), with an optional final norm. */
export class TransformerEncoder extends Module {
  readonly layers: TransformerEncoderLayer[];
  norm: Module | undefined;

  constructor(makeLayer: () => TransformerEncoderLayer, numLayers: number, norm?: Module) {
    super();
    this.layers = buildLayers("TransformerEncoder", TransformerEncoderLayer, makeLayer, numLayers);
    this.norm = norm;
  }

  forward(src: Tensor): Tensor {
    return this.encode(src);
  }

  encode(src: Tensor, opts: EncoderCall = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.encode(x, opts);
    return this.norm ? this.norm.call(x) : x;
  }
}
