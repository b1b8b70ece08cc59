import { cosineSimilarity, pairwiseDistance } from "../../ops/distance.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";

export class CosineSimilarity extends Module {
  constructor(
    readonly dim = 1,
    readonly eps = 1e-8,
  ) {
    super();
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return cosineSimilarity(x1, x2, this.dim, this.eps);
  }
}

export class PairwiseDistance extends Module {
  constructor(
    readonly p = 2,
    readonly eps = 1e-6,
    readonly keepDim = false,
  ) {
    super();
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return pairwiseDistance(x1, x2, this.p, this.eps, this.keepDim);
  }
}
