import { PolychipError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { abs, cast, mul, ne, pow, sqrt } from "./basic.ts";
import { max, min, sum } from "./reduce.ts";
import { autocasting, inFloat32 } from "./autocast.ts";

/**
 * Vector p-norm over `dims` (all by default), as torch.linalg.vector_norm / torch.norm: p = 2 (or
 * 'fro'), 1, any positive p, Infinity (max |x|), -Infinity (min |x|) and 0 (the count of non-zeros).
 */
export function norm(x: Tensor, p: number | "fro" = 2, dims?: number | number[], keepDims = false): Tensor {
  if (autocasting()) return inFloat32(norm, x, p, dims, keepDims);
  const q = p === "fro" ? 2 : p;
  if (typeof q !== "number" || Number.isNaN(q)) throw new PolychipError(`norm: p must be a number or 'fro', got ${JSON.stringify(p)}`);
  if (q === Infinity) return max(abs(x), dims, keepDims);
  if (q === -Infinity) return min(abs(x), dims, keepDims);
  if (q === 0) return sum(cast(ne(x, 0), "float32"), dims, keepDims);
  if (q === 1) return sum(abs(x), dims, keepDims);
  if (q === 2) return sqrt(sum(mul(x, x), dims, keepDims));
  if (q < 0) throw new PolychipError(`norm: negative p other than -Infinity is not supported, got ${q}`);
  return pow(sum(pow(abs(x), q), dims, keepDims), 1 / q);
}
