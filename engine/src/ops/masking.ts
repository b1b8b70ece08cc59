import { DTypeError, formatShape, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { ge, le, sub, where } from "./basic.ts";
import { arange } from "./creation.ts";
import { reshape } from "./shape.ts";

/** Where `mask` (bool, broadcasting against x) is true, `value`; elsewhere x. No gradient flows to filled places. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (mask.dtype !== "bool")
    throw new DTypeError(`maskedFill: mask must be bool, got ${mask.dtype}${formatShape(mask.shape)} (compare first, e.g. eq(ids, 0))`);
  const out = where(mask, value, x);
  if (formatShape(out.shape) !== formatShape(x.shape)) {
    throw new ShapeError(
      `maskedFill: mask ${formatShape(mask.shape)} must broadcast to the input ${formatShape(x.shape)}, not grow it to ${formatShape(out.shape)}`,
    );
  }
  return out;
}

/** bool [rows, cols]: col - row >= diagonal (upper) or <= diagonal (lower), on `device`. */
export function triangleMask(rows: number, cols: number, diagonal: number, upper: boolean, device?: string): Tensor {
  const offset = sub(reshape(arange(0, cols, 1, { device }), [1, cols]), reshape(arange(0, rows, 1, { device }), [rows, 1]));
  return upper ? ge(offset, diagonal) : le(offset, diagonal);
}

function triangle(op: string, x: Tensor, diagonal: number, upper: boolean): Tensor {
  if (x.ndim < 2) throw new ShapeError(`${op}: needs at least 2 dims (the last two are the matrix), got ${formatShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new ShapeError(`${op}: diagonal must be an integer, got ${diagonal}`);
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  return where(triangleMask(rows, cols, diagonal, upper, x.device), x, 0);
}

/** The upper triangle of the last two dims (col - row >= diagonal), zeros below; as torch.triu. */
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle("triu", x, diagonal, true);
/** The lower triangle of the last two dims (col - row <= diagonal), zeros above; as torch.tril. */
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle("tril", x, diagonal, false);
