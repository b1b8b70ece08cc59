import {
  cosineEmbeddingLoss,
  gaussianNLLLoss,
  hingeEmbeddingLoss,
  huberLoss,
  marginRankingLoss,
  multiLabelSoftMarginLoss,
  poissonNLLLoss,
  softMarginLoss,
  tripletMarginLoss,
  type GaussianNLLOptions,
  type PoissonNLLOptions,
  type TripletMarginOptions,
} from "../../ops/losses-extra.ts";
import type { Reduction } from "../../ops/loss-reduction.ts";
import type { Tensor } from "../../tensor.ts";
import { Loss } from "./loss.ts";

/** torch.nn's loss objects over ops/losses-extra.ts; three-input losses take (a, b, c) in `call` and `forward`. */

abstract class Loss3 {
  abstract call(a: Tensor, b: Tensor, c: Tensor): Tensor;
  forward(a: Tensor, b: Tensor, c: Tensor): Tensor {
    return this.call(a, b, c);
  }
}

export class HuberLoss extends Loss {
  constructor(readonly options: { reduction?: Reduction; delta?: number } = {}) {
    super();
  }
  call(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, this.options);
  }
}

export class SoftMarginLoss extends Loss {
  constructor(readonly options: { reduction?: Reduction } = {}) {
    super();
  }
  call(input: Tensor, target: Tensor): Tensor {
    return softMarginLoss(input, target, this.options);
  }
}

export class MultiLabelSoftMarginLoss extends Loss {
  constructor(readonly options: { weight?: Tensor; reduction?: Reduction } = {}) {
    super();
  }
  call(input: Tensor, target: Tensor): Tensor {
    return multiLabelSoftMarginLoss(input, target, this.options);
  }
}

export class HingeEmbeddingLoss extends Loss {
  constructor(readonly options: { margin?: number; reduction?: Reduction } = {}) {
    super();
  }
  call(input: Tensor, target: Tensor): Tensor {
    return hingeEmbeddingLoss(input, target, this.options);
  }
}

export class PoissonNLLLoss extends Loss {
  constructor(readonly options: PoissonNLLOptions = {}) {
    super();
  }
  call(input: Tensor, target: Tensor): Tensor {
    return poissonNLLLoss(input, target, this.options);
  }
}

export class CosineEmbeddingLoss extends Loss3 {
  constructor(readonly options: { margin?: number; reduction?: Reduction } = {}) {
    super();
  }
  call(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return cosineEmbeddingLoss(x1, x2, target, this.options);
  }
}

export class MarginRankingLoss extends Loss3 {
  constructor(readonly options: { margin?: number; reduction?: Reduction } = {}) {
    super();
  }
  call(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return marginRankingLoss(x1, x2, target, this.options);
  }
}

export class TripletMarginLoss extends Loss3 {
  constructor(readonly options: TripletMarginOptions = {}) {
    super();
  }
  call(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return tripletMarginLoss(anchor, positive, negative, this.options);
  }
}

/** call(input, target, var). */
export class GaussianNLLLoss extends Loss3 {
  constructor(readonly options: GaussianNLLOptions = {}) {
    super();
  }
  call(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return gaussianNLLLoss(input, target, variance, this.options);
  }
}
