import type { Tensor } from "../tensor.ts";
import { max, min } from "./reduce.ts";

/** torch.amax: the maximum over `dims` (all when omitted); tied maxima share the gradient evenly, as torch. */
export function amax(x: Tensor, dims?: number | number[], keepDims = false): Tensor {
  return max(x, dims, keepDims);
}

/** torch.amin: the minimum over `dims`; tied minima share the gradient evenly. */
export function amin(x: Tensor, dims?: number | number[], keepDims = false): Tensor {
  return min(x, dims, keepDims);
}
