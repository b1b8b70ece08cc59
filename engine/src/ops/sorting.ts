import { formatShape, normalizeAxis, PolychipError, ShapeError } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import type { Tensor } from "../tensor.ts";
import { add, cast, eq, gt, logicalAnd, lt, logicalOr, run } from "./basic.ts";
import { arange, full } from "./creation.ts";
import { gatherElements } from "./indexing.ts";
import { sum } from "./reduce.ts";
import { expand, reshape, slice, transpose, unsqueeze } from "./shape.ts";

/** Past this many elements along the sorted dim the n x n comparison table would not fit comfortably. */
const MAX_SORT_LENGTH = 8192;

/**
 * Where each element lands when sorted along the last dim: the number of elements that come before
 * it (smaller, or equal at a smaller index: a stable sort). Uses an n x n comparison per row, as the
 * HAL has no sort primitive: fine for vocabularies and top-k sampling, not for millions of elements.
 */
function ranks(x: Tensor, descending: boolean): Tensor {
  const n = x.shape[x.ndim - 1]!;
  if (n > MAX_SORT_LENGTH)
    throw new ShapeError(`sort: ${n} elements along the sorted dim exceeds the supported ${MAX_SORT_LENGTH} (the comparison table is n x n)`);
  const a = unsqueeze(x, -1); // [..., n, 1]: element i
  const b = unsqueeze(x, -2); // [..., 1, n]: element j
  const before = descending ? gt(b, a) : lt(b, a);
  const idx = arange(0, n, 1, { device: x.device });
  const earlier = lt(reshape(idx, [1, n]), reshape(idx, [n, 1])); // j < i
  const ahead = logicalOr(before, logicalAnd(eq(b, a), earlier));
  return sum(cast(ahead, "int32"), -1);
}

/** Sorted values and the indices they came from, along `dim` (stable), as torch.sort. */
export function sort(x: Tensor, dim = -1, descending = false): [Tensor, Tensor] {
  const indices = argsort(x, dim, descending);
  return [gatherElements(x, indices, dim), indices];
}

/** The indices that sort `x` along `dim` (stable), as torch.argsort. */
export function argsort(x: Tensor, dim = -1, descending = false): Tensor {
  if (x.ndim === 0) throw new ShapeError(`argsort: needs at least 1 dim, got a scalar`);
  const axis = normalizeAxis("argsort", dim, x.ndim);
  return noGrad(() => {
    const last = axis === x.ndim - 1 ? x : transpose(x, axis, -1);
    const r = ranks(last, descending);
    // Position r gets index i: scatter each index to its rank.
    const n = last.shape[last.ndim - 1]!;
    const positions = expand(reshape(arange(0, n, 1, { device: x.device }), [...Array(last.ndim - 1).fill(1), n]), last.shape);
    const order = run("scatterAdd", [full(last.shape, 0, { dtype: "int32", device: x.device }), r, add(positions, 0)], { axis: last.ndim - 1 });
    return axis === x.ndim - 1 ? order : transpose(order, axis, -1).contiguous();
  });
}

/** The k largest (or smallest) values along `dim` and their indices, largest first, as torch.topk. */
export function topk(x: Tensor, k: number, dim = -1, largest = true): [Tensor, Tensor] {
  if (x.ndim === 0) throw new ShapeError(`topk: needs at least 1 dim, got a scalar`);
  const axis = normalizeAxis("topk", dim, x.ndim);
  const n = x.shape[axis]!;
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new PolychipError(`topk: k must be an integer in [0, ${n}] for dim ${axis} of ${formatShape(x.shape)}, got ${k}`);
  const indices = noGrad(() => slice(argsort(x, axis, largest), axis, 0, k).contiguous());
  return [gatherElements(x, indices, axis), indices];
}
