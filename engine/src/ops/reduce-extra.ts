import { PolychipError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { div, mul, sqrt, sub } from "./basic.ts";
import { max, mean, min, sum } from "./reduce.ts";

/** The sorted, de-duplicated axes `dims` names (all when undefined), for counting reduced elements. */
function reducedCount(x: Tensor, dims?: number | number[]): number {
  if (dims === undefined) return x.size;
  const list = (Array.isArray(dims) ? dims : [dims]).map((d) => (d < 0 ? d + x.ndim : d));
  return [...new Set(list)].reduce((n, a) => n * (x.shape[a] ?? 1), 1);
}

/** A correction from torch's `unbiased` boolean or its `correction` number. */
function correctionOf(op: string, c: number | boolean): number {
  const v = typeof c === "boolean" ? (c ? 1 : 0) : c;
  if (!Number.isFinite(v) || v < 0) throw new PolychipError(`${op}: correction must be a non-negative number (or a boolean), got ${c}`);
  return v;
}

/**
 * Variance with torch's `correction` (1 = Bessel's, the default; 0 = population), dividing by
 * count - correction; when that is <= 0 the result is inf or NaN, as torch.var.
 */
export function varCorrected(x: Tensor, dims?: number | number[], keepDims = false, correction: number | boolean = 1): Tensor {
  const c = correctionOf("var", correction);
  const centered = sub(x, mean(x, dims, true));
  return div(sum(mul(centered, centered), dims, keepDims), Math.max(reducedCount(x, dims) - c, 0));
}

/** torch.std: the square root of the corrected variance (correction 1 by default; true/false as `unbiased`). */
export function std(x: Tensor, dims?: number | number[], keepDims = false, correction: number | boolean = 1): Tensor {
  correctionOf("std", correction);
  return sqrt(varCorrected(x, dims, keepDims, correction));
}

/** torch.amax: the maximum over `dims` (all when omitted); tied maxima share the gradient evenly, as torch. */
export function amax(x: Tensor, dims?: number | number[], keepDims = false): Tensor {
  return max(x, dims, keepDims);
}

/** torch.amin: the minimum over `dims`; tied minima share the gradient evenly. */
export function amin(x: Tensor, dims?: number | number[], keepDims = false): Tensor {
  return min(x, dims, keepDims);
}
