import { batchNorm, layerNorm } from "../../ops/nn-functional.ts";
import { ones, zeros } from "../../ops/creation.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";

/** Batch norm over the channels of NCHW input, with running statistics for inference. */
export class BatchNorm2d extends Module {
  weight: Tensor;
  bias: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;

  constructor(
    readonly numFeatures: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
    opts: { device?: string } = {},
  ) {
    super();
    this.weight = parameter(ones([numFeatures], { device: opts.device }));
    this.bias = parameter(zeros([numFeatures], { device: opts.device }));
    this.runningMean = this.registerBuffer("runningMean", zeros([numFeatures], { device: opts.device }));
    this.runningVar = this.registerBuffer("runningVar", ones([numFeatures], { device: opts.device }));
  }

  forward(x: Tensor): Tensor {
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, this.training, this.momentum, this.eps);
  }
}

export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor;
  readonly normalizedShape: number[];

  constructor(
    normalizedShape: number | number[],
    readonly eps = 1e-5,
    opts: { device?: string } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
    this.weight = parameter(ones(this.normalizedShape, { device: opts.device }));
    this.bias = parameter(zeros(this.normalizedShape, { device: opts.device }));
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}
