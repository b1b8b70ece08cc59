import { formatShape, ShapeError } from "@polychip/hal";
import { ones, zeros } from "../../ops/creation.ts";
import { instanceNorm, rmsNorm } from "../../ops/normalization-instance.ts";
import { squeeze, unsqueeze } from "../../ops/shape.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";

export interface InstanceNormOptions {
  /** A learnable scale and shift per channel (default false, as torch). */
  affine?: boolean;
  /** Keep running statistics and use them in eval mode (default false, as torch). */
  trackRunningStats?: boolean;
  device?: string;
}

/** torch.nn.InstanceNorm1d/2d: per-sample, per-channel statistics; an unbatched input is accepted too. */
abstract class InstanceNormNd extends Module {
  weight: Tensor | undefined;
  bias: Tensor | undefined;
  runningMean: Tensor | undefined;
  runningVar: Tensor | undefined;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(
    private readonly spatial: number,
    readonly numFeatures: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
    opts: InstanceNormOptions = {},
  ) {
    super();
    this.affine = opts.affine ?? false;
    this.trackRunningStats = opts.trackRunningStats ?? false;
    const device = opts.device;
    this.weight = this.affine ? parameter(ones([numFeatures], { device })) : undefined;
    this.bias = this.affine ? parameter(zeros([numFeatures], { device })) : undefined;
    this.runningMean = this.trackRunningStats ? this.registerBuffer("runningMean", zeros([numFeatures], { device })) : undefined;
    this.runningVar = this.trackRunningStats ? this.registerBuffer("runningVar", ones([numFeatures], { device })) : undefined;
  }

  forward(x: Tensor): Tensor {
    const name = `${this.constructor.name}`;
    const unbatched = x.ndim === this.spatial + 1;
    if (!unbatched && x.ndim !== this.spatial + 2) {
      const layout = this.spatial === 1 ? "[N, C, L] or [C, L]" : "[N, C, H, W] or [C, H, W]";
      throw new ShapeError(`${name}: expects ${layout}, got ${formatShape(x.shape)}`);
    }
    const channels = x.shape[unbatched ? 0 : 1];
    if ((this.affine || this.trackRunningStats) && channels !== this.numFeatures)
      throw new ShapeError(`${name}: input ${formatShape(x.shape)} has ${channels} channels, the layer was built for ${this.numFeatures}`);
    const batched = unbatched ? unsqueeze(x, 0) : x;
    const useInputStats = this.training || !this.trackRunningStats;
    const y = instanceNorm(batched, this.runningMean, this.runningVar, this.weight, this.bias, useInputStats, this.momentum, this.eps);
    return unbatched ? squeeze(y, 0) : y;
  }
}

export class InstanceNorm1d extends InstanceNormNd {
  constructor(numFeatures: number, eps = 1e-5, momentum = 0.1, opts: InstanceNormOptions = {}) {
    super(1, numFeatures, eps, momentum, opts);
  }
}

export class InstanceNorm2d extends InstanceNormNd {
  constructor(numFeatures: number, eps = 1e-5, momentum = 0.1, opts: InstanceNormOptions = {}) {
    super(2, numFeatures, eps, momentum, opts);
  }
}

/** torch.nn.RMSNorm (torch 2.4): eps undefined means the input dtype's machine epsilon. */
export class RMSNorm extends Module {
  weight: Tensor | undefined;
  readonly normalizedShape: number[];

  constructor(
    normalizedShape: number | number[],
    readonly eps?: number,
    opts: { elementwiseAffine?: boolean; device?: string } = {},
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    this.weight = (opts.elementwiseAffine ?? true) ? parameter(ones(this.normalizedShape, { device: opts.device })) : undefined;
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.normalizedShape, this.weight, this.eps);
  }
}
