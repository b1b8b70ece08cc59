import { PolychipError } from "@polychip/hal";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";
import { buildLayers } from "./layer-stack.ts";
import { TransformerDecoderLayer, type DecoderCall } from "./transformer.ts";

/** A stack of decoder layers (torch deep-copies one layer; here a factory builds each), with an optional final norm. */
export class TransformerDecoder extends Module {
  readonly layers: TransformerDecoderLayer[];
  norm: Module | undefined;

  constructor(makeLayer: () => TransformerDecoderLayer, numLayers: number, norm?: Module) {
    super();
    this.layers = buildLayers("TransformerDecoder", TransformerDecoderLayer, makeLayer, numLayers);
    this.norm = norm;
  }

  forward(tgt: Tensor, memory: Tensor): Tensor {
    return this.decode(tgt, memory);
  }

  /** Every layer attends to the same encoder `memory` with the same masks. */
  decode(tgt: Tensor, memory: Tensor, opts: DecoderCall = {}): Tensor {
    if (!memory) throw new PolychipError("TransformerDecoder: forward(tgt, memory) needs the encoder's memory");
    let x = tgt;
    for (const layer of this.layers) x = layer.decode(x, memory, opts);
    return this.norm ? this.norm.call(x) : x;
  }
}
