import { embedding } from "../../ops/indexing.ts";
import type { Tensor } from "../../tensor.ts";
import { normal } from "../init.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";

/** A lookup table of `numEmbeddings` vectors, initialised N(0, 1) as in PyTorch. */
export class Embedding extends Module {
  weight: Tensor;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { device?: string } = {}) {
    super();
    this.weight = parameter(normal([numEmbeddings, embeddingDim], 1, opts.device));
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight);
  }
}
