import { PolychipError } from "@polychip/hal";
import { dropout1d, dropout2d } from "../../ops/dropout-channel.ts";
import type { Tensor } from "../../tensor.ts";
import { Module } from "../module.ts";

function checkP(name: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new PolychipError(`${name}: p must be in [0, 1], got ${p}`);
  return p;
}

/** Zeroes whole channels of [N, C, L] during training (torch.nn.Dropout1d). */
export class Dropout1d extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkP("Dropout1d", p);
  }
  forward(x: Tensor): Tensor {
    return dropout1d(x, this.p, this.training);
  }
}

/** Zeroes whole feature maps of [N, C, H, W] during training (torch.nn.Dropout2d). */
export class Dropout2d extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkP("Dropout2d", p);
  }
  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training);
  }
}
