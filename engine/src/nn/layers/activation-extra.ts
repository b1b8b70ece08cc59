import { PolychipError } from "@polychip/hal";
import { full } from "../../ops/creation.ts";
import { logSoftmax, softmax } from "../../ops/nn-functional.ts";
import {
  celu,
  elu,
  glu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSigmoid,
  mish,
  prelu,
  relu6,
  selu,
  silu,
  softmin,
  softsign,
} from "../../ops/activations-extra.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";

/** torch.nn's activation modules over the functions in ops/activations-extra.ts (torch's `inplace` flags do not apply). */

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
}

export class SELU extends Module {
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

export class CELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return celu(x, this.alpha);
  }
}

export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return hardsigmoid(x);
  }
}

export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}

export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

export class Hardtanh extends Module {
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1,
  ) {
    super();
    if (!(minVal <= maxVal)) throw new PolychipError(`Hardtanh: minVal ${minVal} must not exceed maxVal ${maxVal}`);
  }
  forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }
}

export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return logSigmoid(x);
  }
}

export class Softsign extends Module {
  forward(x: Tensor): Tensor {
    return softsign(x);
  }
}

export class GLU extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return glu(x, this.dim);
  }
}

/** A learnable negative slope: one shared (numParameters 1) or one per channel (dim 1), initialised to `init`. */
export class PReLU extends Module {
  weight: Tensor;
  constructor(
    readonly numParameters = 1,
    init = 0.25,
    opts: { device?: string } = {},
  ) {
    super();
    if (!Number.isInteger(numParameters) || numParameters < 1) throw new PolychipError(`PReLU: numParameters must be a positive integer, got ${numParameters}`);
    this.weight = parameter(full([numParameters], init, { device: opts.device }));
  }
  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
}

/** Softmax along `dim` (torch's implicit-dim default is deprecated there; here the default is the last dim). */
export class Softmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}

export class Softmin extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmin(x, this.dim);
  }
}
