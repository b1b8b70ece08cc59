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
export class CrossEntropyLoss {
  readonly options: CrossEntropyOptions;
  /** A number is the label smoothing (the older signature); an object takes every option. */
  constructor(options: number | CrossEntropyOptions = {}) {
    this.options = typeof options === "number" ? { labelSmoothing: options } : options;
  }
  call(logits: Tensor, target: Tensor): Tensor {
    return crossEntropy(logits, target, this.options);
  }
}

export class NLLLoss {
  constructor(readonly options: ClassLossOptions = {}) {}
  call(logProbs: Tensor, target: Tensor): Tensor {
    return nllLoss(logProbs, target, this.options);
  }
}

export class MSELoss {
  constructor(readonly reduction: Reduction = "mean") {}
  call(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss {
  constructor(readonly reduction: Reduction = "mean") {}
  call(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class SmoothL1Loss {
  constructor(readonly options: { reduction?: Reduction; beta?: number } = {}) {}
  call(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, this.options);
  }
}

export class BCELoss {
  constructor(readonly options: { weight?: Tensor; reduction?: Reduction } = {}) {}
  call(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, this.options);
  }
}

export class BCEWithLogitsLoss {
  constructor(readonly options: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {}) {}
  call(logits: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(logits, target, this.options);
  }
}

export class KLDivLoss {
  constructor(readonly options: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {}) {}
  call(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, this.options);
  }
}
