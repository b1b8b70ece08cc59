import { formatShape, PolychipError, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { cast, ge, mul } from "./basic.ts";
import { rand } from "./creation.ts";

/** Zeroes whole channels: one draw per (sample, channel), kept ones scaled by 1/(1-p); `spatial` trailing dims share it. */
function channelDropout(op: string, x: Tensor, spatial: number, p: number, training: boolean): Tensor {
  if (!(p >= 0 && p <= 1)) throw new PolychipError(`${op}: p must be in [0, 1], got ${p}`);
  if (x.ndim !== spatial + 1 && x.ndim !== spatial + 2) {
    const names = spatial === 1 ? "[N, C, L] or [C, L]" : "[N, C, H, W] or [C, H, W]";
    throw new ShapeError(`${op}: expects ${names}, got ${formatShape(x.shape)}`);
  }
  if (!training || p === 0) return mul(x, 1);
  if (p === 1) return mul(x, 0);
  const maskShape = x.shape.map((d, i) => (i < x.ndim - spatial ? d : 1));
  const keep = cast(ge(rand(maskShape, { device: x.device }), p), x.dtype);
  return mul(x, mul(keep, 1 / (1 - p)));
}

/** torch.nn.functional.dropout1d: whole channels of [N, C, L] (or [C, L]) zeroed with probability p. */
export function dropout1d(x: Tensor, p = 0.5, training = true): Tensor {
  return channelDropout("dropout1d", x, 1, p, training);
}

/** torch.nn.functional.dropout2d: whole feature maps of [N, C, H, W] (or [C, H, W]) zeroed with probability p. */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  return channelDropout("dropout2d", x, 2, p, training);
}
