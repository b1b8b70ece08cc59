import { DTypeError, formatShape, isFloat, normalizeAxis, PolychipError, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { cast, eq, mul } from "./basic.ts";
import { arange } from "./creation.ts";
import { split } from "./indexing.ts";
import { permute, reshape, unsqueeze } from "./shape.ts";

/** torch.chunk: pieces of ceil(size / chunks) along `dim` (so possibly fewer than `chunks`), as views. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ShapeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const axis = normalizeAxis("chunk", dim, x.ndim);
  const size = x.shape[axis]!;
  return split(x, Math.max(Math.ceil(size / chunks), 1), axis);
}

/** torch.unflatten: dim `dim` becomes `sizes` (one -1 is inferred). */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const axis = normalizeAxis("unflatten", dim, x.ndim);
  const n = x.shape[axis]!;
  const known = sizes.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
  const unknown = sizes.filter((s) => s === -1).length;
  const fits = unknown === 0 ? known === n : unknown === 1 && known > 0 && n % known === 0;
  if (sizes.length === 0 || !fits || sizes.some((s) => !Number.isInteger(s) || s < -1)) {
    throw new ShapeError(`unflatten: sizes ${formatShape(sizes)} do not multiply to dim ${dim} (size ${n}) of input ${formatShape(x.shape)}`);
  }
  const resolved = sizes.map((s) => (s === -1 ? n / known : s));
  return reshape(x, [...x.shape.slice(0, axis), ...resolved, ...x.shape.slice(axis + 1)]);
}

/**
 * torch.nn.functional.one_hot as int32 (the engine has no int64): a new last dim of `numClasses`.
 * numClasses must be given: torch's -1 reads the indices' maximum, a host read no graph can hold.
 * An index outside [0, numClasses) gives an all-zero row (torch raises).
 */
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  if (isFloat(indices.dtype) || indices.dtype === "bool")
    throw new DTypeError(`oneHot: indices must be integers, got ${indices.dtype}${formatShape(indices.shape)}`);
  if (!Number.isInteger(numClasses) || numClasses <= 0)
    throw new PolychipError(`oneHot: numClasses must be a positive integer (torch's -1, inferred from the data, is not supported), got ${numClasses}`);
  const classes = arange(numClasses, undefined, 1, { device: indices.device });
  return cast(eq(unsqueeze(cast(indices, "int32"), -1), classes), "int32");
}

/** torch.outer: a[i] * b[j] for 1-D a and b. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new ShapeError(`outer: expects two 1-D tensors, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
}

/** Flattened [N, C*r*r, H, W] -> [N, C, H*r, W*r] (any leading dims), as torch.nn.functional.pixel_shuffle. */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const r = upscaleFactor;
  if (x.ndim < 3) throw new ShapeError(`pixelShuffle: expects [..., C, H, W], got ${formatShape(x.shape)}`);
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  if (!Number.isInteger(r) || r <= 0 || c % (r * r) !== 0)
    throw new ShapeError(`pixelShuffle: channels ${c} of input ${formatShape(x.shape)} must divide by upscaleFactor² (${r}² = ${r * r})`);
  const lead = x.shape.slice(0, -3);
  const k = lead.length;
  const parts = reshape(x, [...lead, c / (r * r), r, r, h, w]);
  const order = [...Array(k).keys(), k, k + 3, k + 1, k + 4, k + 2];
  return reshape(permute(parts, order), [...lead, c / (r * r), h * r, w * r]);
}

/** The inverse of pixelShuffle: [N, C, H*r, W*r] -> [N, C*r*r, H, W]. */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const r = downscaleFactor;
  if (x.ndim < 3) throw new ShapeError(`pixelUnshuffle: expects [..., C, H, W], got ${formatShape(x.shape)}`);
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  if (!Number.isInteger(r) || r <= 0 || h % r !== 0 || w % r !== 0)
    throw new ShapeError(`pixelUnshuffle: height ${h} and width ${w} of input ${formatShape(x.shape)} must divide by downscaleFactor ${r}`);
  const lead = x.shape.slice(0, -3);
  const k = lead.length;
  const parts = reshape(x, [...lead, c, h / r, r, w / r, r]);
  const order = [...Array(k).keys(), k, k + 2, k + 4, k + 1, k + 3];
  return reshape(permute(parts, order), [...lead, c * r * r, h / r, w / r]);
}
