import { formatShape, PolychipError, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { mean, sum } from "./reduce.ts";

/** What the loss functions share: torch's reduction argument and the same-shape check. */
export type Reduction = "mean" | "sum" | "none";

export function checkReduction(op: string, r: string): Reduction {
  if (r !== "mean" && r !== "sum" && r !== "none") throw new PolychipError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(r)}`);
  return r;
}

export function reduce(op: string, loss: Tensor, reduction: Reduction | undefined): Tensor {
  const r = checkReduction(op, reduction ?? "mean");
  return r === "none" ? loss : r === "sum" ? sum(loss) : mean(loss);
}

export function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (formatShape(a.shape) !== formatShape(b.shape))
    throw new ShapeError(`${op}: input ${formatShape(a.shape)} and target ${formatShape(b.shape)} must have the same shape`);
}
