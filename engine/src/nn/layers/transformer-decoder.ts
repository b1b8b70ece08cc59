import { PolychipError } from "@polychip/hal";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";
import { TransformerDecoderLayer, type DecoderCall } from "./transformer.ts";

/** A stack of decoder layers (torch deep-copies one layer; here a factory builds each), with an optional final norm. */
export class TransformerDecoder extends Module {
  readonly layers: TransformerDecoderLayer[];
  norm: Module | undefined;

  constructor(makeLayer: () => TransformerDecoderLayer, numLayers: number, norm?: Module) {
    super();
    if (typeof makeLayer !== "function")
      throw new PolychipError("TransformerDecoder: pass a function that builds one layer, e.g. () => new TransformerDecoderLayer(64, 4)");
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new PolychipError(`TransformerDecoder: numLayers must be a positive integer, got ${numLayers}`);
    this.layers = Array.from({ length: numLayers }, makeLayer);
    if (this.layers.some((l) => !(l instanceof TransformerDecoderLayer)))
      throw new PolychipError("TransformerDecoder: the factory must return TransformerDecoderLayer instances");
    if (new Set(this.layers).size !== this.layers.length)
      throw new PolychipError("TransformerDecoder: the factory returned the same layer twice; it must build a new one per call");
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
