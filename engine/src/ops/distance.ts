import { broadcastShapes, formatShape, normalizeAxis, PolychipError, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { add, div, maximum, mul, sqrt, sub } from "./basic.ts";
import { norm } from "./norm.ts";
import { sum } from "./reduce.ts";
import { expand } from "./shape.ts";

/**
 * max(||x||_2, eps) along `dim` as sqrt(max(sum(x²), eps²)): the same value as torch's
 * clamp_min(norm, eps), and a zero vector's gradient stays 0 instead of NaN (sqrt'(0)).
 */
function clampedNorm2(x: Tensor, dim: number, keepDims: boolean, eps: number): Tensor {
  return sqrt(maximum(sum(mul(x, x), dim, keepDims), eps * eps));
}

/** torch.nn.functional.normalize: x / max(||x||_p, eps) along `dim`. */
export function normalize(x: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  if (x.ndim === 0) throw new ShapeError("normalize: needs at least one dim, got a scalar");
  const axis = normalizeAxis("normalize", dim, x.ndim);
  if (!(p > 0)) throw new PolychipError(`normalize: p must be positive, got ${p}`);
  const denom = p === 2 ? clampedNorm2(x, axis, true, eps) : maximum(norm(x, p, axis, true), eps);
  return div(x, denom);
}

function broadcastRank(op: string, x1: Tensor, x2: Tensor, dim: number): number {
  const rank = Math.max(x1.ndim, x2.ndim);
  if (rank === 0) throw new ShapeError(`${op}: inputs ${formatShape(x1.shape)} and ${formatShape(x2.shape)} need at least one dim`);
  return normalizeAxis(op, dim, rank);
}

/** torch.nn.functional.cosine_similarity: x1·x2 / (max(||x1||, eps) max(||x2||, eps)) along `dim`, inputs broadcast. */
export function cosineSimilarity(x1: Tensor, x2: Tensor, dim = 1, eps = 1e-8): Tensor {
  const axis = broadcastRank("cosineSimilarity", x1, x2, dim);
  // torch broadcasts first: a vector repeated along `dim` counts every copy in its norm.
  const shape = broadcastShapes("cosineSimilarity", x1.shape, x2.shape);
  const [a, b] = [expand(x1, shape), expand(x2, shape)];
  const dot = sum(mul(a, b), axis);
  return div(dot, mul(clampedNorm2(a, axis, false, eps), clampedNorm2(b, axis, false, eps)));
}

/** torch.nn.functional.pairwise_distance: ||x1 - x2 + eps||_p over the last dim. */
export function pairwiseDistance(x1: Tensor, x2: Tensor, p = 2, eps = 1e-6, keepDims = false): Tensor {
  broadcastRank("pairwiseDistance", x1, x2, -1);
  if (!(p > 0)) throw new PolychipError(`pairwiseDistance: p must be positive, got ${p}`);
  const d = add(sub(x1, x2), eps);
  return norm(d, p, d.ndim - 1, keepDims);
}
