import { formatShape, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { alias, run } from "./basic.ts";
import { reshape } from "./shape.ts";

/** Sums a broadcast gradient back to `shape` (the inverse of broadcasting). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  const gs = g.shape;
  if (gs.length === shape.length && gs.every((d, i) => d === shape[i])) return g;
  const lead = gs.length - shape.length;
  if (lead < 0) throw new ShapeError(`backward: gradient ${formatShape(gs)} has fewer dims than its input ${formatShape(shape)}`);
  const axes: number[] = [];
  gs.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const summed = axes.length ? run("reduceSum", [g], { axes, keepDims: true }) : alias(g);
  const out = reshape(summed, shape);
  summed.dispose();
  return out;
}
