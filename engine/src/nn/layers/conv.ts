import { conv2d } from "../../ops/nn-functional.ts";
import type { Tensor } from "../../tensor.ts";
import { uniform } from "../init.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";

export interface Conv2dConfig {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
  bias?: boolean;
  device?: string;
}

/** 2-D convolution over NCHW input. */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | undefined;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number | [number, number],
    readonly config: Conv2dConfig = {},
  ) {
    super();
    const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
    const groups = config.groups ?? 1;
    const bound = 1 / Math.sqrt((inChannels / groups) * kh * kw);
    this.weight = parameter(uniform([outChannels, inChannels / groups, kh, kw], bound, config.device));
    this.bias = config.bias === false ? undefined : parameter(uniform([outChannels], bound, config.device));
  }

  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.config;
    return conv2d(x, this.weight, this.bias, { stride, padding, dilation, groups });
  }
}
