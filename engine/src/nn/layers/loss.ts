import { binaryCrossEntropyWithLogits, crossEntropy, mseLoss } from "../../ops/nn-functional.ts";
import type { Tensor } from "../../tensor.ts";

/** Loss objects mirroring torch.nn's, for code that prefers them to the functions. */
export class CrossEntropyLoss {
  constructor(readonly labelSmoothing = 0) {}
  call(logits: Tensor, target: Tensor): Tensor {
    return crossEntropy(logits, target, { labelSmoothing: this.labelSmoothing });
  }
}

export class MSELoss {
  call(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target);
  }
}

export class BCEWithLogitsLoss {
  call(logits: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(logits, target);
  }
}
