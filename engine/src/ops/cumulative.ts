import { normalizeAxis, isFloat } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { add, cast, mul } from "./basic.ts";
import { cat } from "./indexing.ts";
import { reshape, slice } from "./shape.ts";
import { autocasting, inFloat32 } from "./autocast.ts";

/**
 * Inclusive scan along `dim` in log2(n) passes (Hillis-Steele): pass k combines each element with the
 * one 2^k before it. Built from slices, cat and the binary op, so autograd needs nothing more.
 */
function scan(op: string, x: Tensor, dim: number, combine: (a: Tensor, b: Tensor) => Tensor): Tensor {
  const axis = normalizeAxis(op, dim, x.ndim);
  const n = x.shape[axis]!;
  const input = isFloat(x.dtype) ? x : cast(x, x.dtype === "bool" ? "int32" : x.dtype);
  let y = reshape(input, input.shape); // a fresh handle that autograd tracks, for n <= 1
  for (let k = 1; k < n; k *= 2) {
    y = cat([slice(y, axis, 0, k), combine(slice(y, axis, k, n), slice(y, axis, 0, n - k))], axis);
  }
  return y;
}

/** Running sums along `dim`, as torch.cumsum. */
export const cumsum = (x: Tensor, dim: number): Tensor => (autocasting() ? inFloat32(cumsum, x, dim) : scan("cumsum", x, dim, add));
/** Running products along `dim`, as torch.cumprod (the gradient is exact where elements are zero too). */
export const cumprod = (x: Tensor, dim: number): Tensor => (autocasting() ? inFloat32(cumprod, x, dim) : scan("cumprod", x, dim, mul));
