import { formatShape, normalizeAxis, PolychipError, ShapeError } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import type { Tensor } from "../tensor.ts";
import { run } from "./basic.ts";
import { gatherElements } from "./indexing.ts";
import { slice } from "./shape.ts";

/** Sorted values and the indices they came from, along `dim` (stable, NaN largest), as torch.sort(stable=True). */
export function sort(x: Tensor, dim = -1, descending = false): [Tensor, Tensor] {
  const indices = argsort(x, dim, descending);
  return [gatherElements(x, indices, dim), indices];
}

/**
 * The int32 indices that sort `x` along `dim`, as torch.argsort(stable=True): the HAL's `argsort`
 * (O(n log n) per row on the cpu; a sorting network of primitives on a device without a kernel).
 */
export function argsort(x: Tensor, dim = -1, descending = false): Tensor {
  if (x.ndim === 0) throw new ShapeError(`argsort: needs at least 1 dim, got a scalar`);
  const axis = normalizeAxis("argsort", dim, x.ndim);
  return noGrad(() => run("argsort", [x], { axis, descending }));
}

/** The k largest (or smallest) values along `dim` and their indices, in sorted order, as torch.topk. */
export function topk(x: Tensor, k: number, dim = -1, largest = true): [Tensor, Tensor] {
  if (x.ndim === 0) throw new ShapeError(`topk: needs at least 1 dim, got a scalar`);
  const axis = normalizeAxis("topk", dim, x.ndim);
  const n = x.shape[axis]!;
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new PolychipError(`topk: k must be an integer in [0, ${n}] for dim ${axis} of ${formatShape(x.shape)}, got ${k}`);
  const indices = noGrad(() => slice(argsort(x, axis, largest), axis, 0, k).contiguous());
  return [gatherElements(x, indices, axis), indices];
}
