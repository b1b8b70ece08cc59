import {
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
  avgPool1d,
  maxPool1d,
  type AdaptiveSize,
} from "../../ops/pooling-adaptive.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";

/** torch.nn's adaptive and 1-D pooling modules (values only: no return_indices). */

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: AdaptiveSize) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }
}

export class AdaptiveAvgPool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }
}

export class AdaptiveMaxPool1d extends Module {
  constructor(readonly outputSize: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveMaxPool1d(x, this.outputSize);
  }
}

export class AvgPool1d extends Module {
  constructor(
    readonly kernelSize: number,
    readonly stride?: number,
    readonly padding = 0,
    readonly ceilMode = false,
    readonly countIncludePad = true,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
}

export class MaxPool1d extends Module {
  constructor(
    readonly kernelSize: number,
    readonly stride?: number,
    readonly padding = 0,
    readonly ceilMode = false,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode });
  }
}
