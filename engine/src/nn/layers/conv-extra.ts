import { PolychipError } from "@polychip/hal";
import { conv1d, convTranspose2d, type ConvTranspose2dOptions } from "../../ops/convolution-extra.ts";
import type { Tensor } from "../../tensor.ts";
import { uniform } from "../init.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";

export interface Conv1dConfig {
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
  bias?: boolean;
  device?: string;
}

function checkGroups(layer: string, inC: number, outC: number, groups: number): void {
  if (!Number.isInteger(groups) || groups <= 0 || inC % groups || outC % groups)
    throw new PolychipError(`${layer}: ${inC} input and ${outC} output channels must both divide into ${groups} groups`);
}

/** torch.nn.Conv1d over [N, C, L]; weights U(-1/sqrt(fanIn), 1/sqrt(fanIn)) as torch. */
export class Conv1d extends Module {
  weight: Tensor;
  bias: Tensor | undefined;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    readonly config: Conv1dConfig = {},
  ) {
    super();
    const groups = config.groups ?? 1;
    checkGroups("Conv1d", inChannels, outChannels, groups);
    const bound = 1 / Math.sqrt((inChannels / groups) * kernelSize);
    this.weight = parameter(uniform([outChannels, inChannels / groups, kernelSize], bound, config.device));
    this.bias = config.bias === false ? undefined : parameter(uniform([outChannels], bound, config.device));
  }

  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, this.config);
  }
}

export interface ConvTranspose2dConfig extends ConvTranspose2dOptions {
  bias?: boolean;
  device?: string;
}

/** torch.nn.ConvTranspose2d: weight [inChannels, outChannels/groups, KH, KW]. */
export class ConvTranspose2d extends Module {
  weight: Tensor;
  bias: Tensor | undefined;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number, number],
    readonly config: ConvTranspose2dConfig = {},
  ) {
    super();
    const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
    const groups = config.groups ?? 1;
    checkGroups("ConvTranspose2d", inChannels, outChannels, groups);
    // torch computes fan-in from weight dim 1 (outChannels/groups) here.
    const bound = 1 / Math.sqrt((outChannels / groups) * kh * kw);
    this.weight = parameter(uniform([inChannels, outChannels / groups, kh, kw], bound, config.device));
    this.bias = config.bias === false ? undefined : parameter(uniform([outChannels], bound, config.device));
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.config);
  }
}
