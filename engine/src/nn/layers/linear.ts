import { linear } from "../../ops/linalg.ts";
import type { Tensor } from "../../tensor.ts";
import { uniform } from "../init.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";

/** y = x W^T + b, W [out, in]; initialised U(-1/sqrt(in), 1/sqrt(in)) as in PyTorch. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; device?: string } = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = parameter(uniform([outFeatures, inFeatures], bound, opts.device));
    this.bias = opts.bias === false ? undefined : parameter(uniform([outFeatures], bound, opts.device));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
