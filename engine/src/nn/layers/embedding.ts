import { PolychipError } from "@polychip/hal";
import { noGrad } from "../../tape/grad-mode.ts";
import { add, mul } from "../../ops/basic.ts";
import { tensor } from "../../ops/creation.ts";
import { detach } from "../../ops/devices-ops.ts";
import { embedding } from "../../ops/indexing.ts";
import { reshape } from "../../ops/shape.ts";
import { tidy } from "../../scope.ts";
import type { Tensor } from "../../tensor.ts";
import { normal } from "../init.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";

export interface EmbeddingOptions {
  /** This row starts at zero and gets no gradient, so it stays a fixed padding vector (as torch). */
  paddingIdx?: number;
  device?: string;
}

/** A lookup table of `numEmbeddings` vectors, initialised N(0, 1) as in PyTorch. */
export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | undefined;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: EmbeddingOptions = {},
  ) {
    super();
    const p = opts.paddingIdx;
    if (p !== undefined && (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings)) {
      throw new PolychipError(`Embedding: paddingIdx ${p} must be an integer in [-${numEmbeddings}, ${numEmbeddings})`);
    }
    this.paddingIdx = p === undefined ? undefined : p < 0 ? p + numEmbeddings : p;
    const w = normal([numEmbeddings, embeddingDim], 1, opts.device);
    if (this.paddingIdx !== undefined) noGrad(() => tidy(() => void w.assign(mul(w, this.rowMask(w, 1, 0)))));
    this.weight = parameter(w);
  }

  /** [numEmbeddings, 1]: `other` everywhere, `atPadding` on the padding row. */
  private rowMask(like: Tensor, other: number, atPadding: number): Tensor {
    const values = new Float32Array(this.numEmbeddings).fill(other);
    values[this.paddingIdx!] = atPadding;
    return reshape(tensor(values, { device: like.device }), [this.numEmbeddings, 1]);
  }

  forward(indices: Tensor): Tensor {
    if (this.paddingIdx === undefined) return embedding(indices, this.weight);
    // The padding row's value is read through a detached copy, so its gradient is zero.
    const w = this.weight;
    const table = add(mul(w, this.rowMask(w, 1, 0)), mul(detach(w), this.rowMask(w, 0, 1)));
    return embedding(indices, table);
  }
}
