import { formatShape, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { add, div, mul, sqrt, sub } from "./basic.ts";
import { mean } from "./reduce.ts";
import { reshape } from "./shape.ts";
import { autocasting, inFloat32 } from "./autocast.ts";

/** torch.nn.functional.group_norm: statistics over each group of channels (and all positions), per sample; affine per channel. */
export function groupNorm(x: Tensor, numGroups: number, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  if (autocasting()) return inFloat32(groupNorm, x, numGroups, weight, bias, eps);
  if (x.ndim < 2) throw new ShapeError(`groupNorm: expects [N, C, ...], got ${formatShape(x.shape)}`);
  const [n, c] = x.shape as [number, number];
  if (!Number.isInteger(numGroups) || numGroups <= 0 || c % numGroups !== 0)
    throw new ShapeError(`groupNorm: ${c} channels cannot be split into ${numGroups} groups`);
  const g = reshape(x, [n, numGroups, -1]);
  const mu = mean(g, 2, true);
  const centered = sub(g, mu);
  const v = mean(mul(centered, centered), 2, true);
  let y = reshape(div(centered, sqrt(add(v, eps))), x.shape);
  const affine = [1, c, ...Array(x.ndim - 2).fill(1)];
  if (weight) y = mul(y, reshape(weight, affine));
  if (bias) y = add(y, reshape(bias, affine));
  return y;
}
