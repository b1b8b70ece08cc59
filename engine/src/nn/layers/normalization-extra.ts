import { formatShape, ShapeError } from "@polychip/hal";
import { ones, zeros } from "../../ops/creation.ts";
import { groupNorm } from "../../ops/normalization-extra.ts";
import { reshape } from "../../ops/shape.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";
import { BatchNorm2d } from "./normalization.ts";

/** torch.nn.BatchNorm1d over [N, C] or [N, C, L]: the 2-D layer on a [N, C, 1, L] view. */
export class BatchNorm1d extends BatchNorm2d {
  override forward(x: Tensor): Tensor {
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`BatchNorm1d: expects [N, ${this.numFeatures}] or [N, ${this.numFeatures}, L], got ${formatShape(x.shape)}`);
    }
    const four = reshape(x, [x.shape[0]!, this.numFeatures, 1, x.ndim === 3 ? x.shape[2]! : 1]);
    return reshape(super.forward(four), x.shape);
  }
}

/** torch.nn.GroupNorm: per-sample statistics over groups of channels, affine per channel. */
export class GroupNorm extends Module {
  weight: Tensor | undefined;
  bias: Tensor | undefined;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    readonly eps = 1e-5,
    opts: { affine?: boolean; device?: string } = {},
  ) {
    super();
    if (numChannels % numGroups !== 0) throw new ShapeError(`GroupNorm: ${numChannels} channels cannot be split into ${numGroups} groups`);
    const affine = opts.affine ?? true;
    this.weight = affine ? parameter(ones([numChannels], { device: opts.device })) : undefined;
    this.bias = affine ? parameter(zeros([numChannels], { device: opts.device })) : undefined;
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }
}
