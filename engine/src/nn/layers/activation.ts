import { alias, gelu, relu, sigmoid, tanh } from "../../ops/basic.ts";
import { dropout, softplus } from "../../ops/nn-functional.ts";
import { flatten } from "../../ops/shape.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}
export class Softplus extends Module {
  constructor(readonly beta = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softplus(x, this.beta);
  }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return alias(x);
  }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}

export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
