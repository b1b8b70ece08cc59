import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  klDiv,
  l1Loss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
  type ClassLossOptions,
  type CrossEntropyOptions,
  type Reduction,
} from "../../ops/losses.ts";
import type { Tensor } from "../../tensor.ts";

/** Loss objects mirroring torch.nn's, for code that prefers them to the functions. */

/** `loss.forward(a, b)` works as on a torch loss module, beside `loss.call(a, b)`. */
export abstract class Loss {
  abstract call(input: Tensor, target: Tensor): Tensor;
  forward(input: Tensor, target: Tensor): Tensor {
    return this.call(input, target);
  }
}

export class CrossEntropyLoss extends Loss {
  readonly options: CrossEntropyOptions;
  /** A number is the label smoothing (the older signature); an object takes every option. */
  constructor(options: number | CrossEntropyOptions = {}) {
    super();
    this.options = typeof options === "number" ? { labelSmoothing: options } : options;
  }
  call(logits: Tensor, target: Tensor): Tensor {
    return crossEntropy(logits, target, this.options);
  }
}

export class NLLLoss extends Loss {
  constructor(readonly options: ClassLossOptions = {}) {
    super();
  }
  call(logProbs: Tensor, target: Tensor): Tensor {
    return nllLoss(logProbs, target, this.options);
  }
}

export class MSELoss extends Loss {
  constructor(readonly reduction: Reduction = "mean") {
    super();
  }
  call(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends Loss {
  constructor(readonly reduction: Reduction = "mean") {
    super();
  }
  call(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class SmoothL1Loss extends Loss {
  constructor(readonly options: { reduction?: Reduction; beta?: number } = {}) {
    super();
  }
  call(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, this.options);
  }
}

export class BCELoss extends Loss {
  constructor(readonly options: { weight?: Tensor; reduction?: Reduction } = {}) {
    super();
  }
  call(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, this.options);
  }
}

export class BCEWithLogitsLoss extends Loss {
  constructor(readonly options: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {}) {
    super();
  }
  call(logits: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(logits, target, this.options);
  }
}

export class KLDivLoss extends Loss {
  constructor(readonly options: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {}) {
    super();
  }
  call(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, this.options);
  }
}
