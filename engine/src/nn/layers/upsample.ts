import { interpolate, type InterpolateOptions } from "../../ops/interpolate.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";

/** torch.nn.Upsample: interpolate with fixed options. */
export class Upsample extends Module {
  constructor(readonly options: InterpolateOptions) {
    super();
  }
  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }
}
