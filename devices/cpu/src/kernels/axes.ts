import { boolAttr, listAttr, normalizeAxis, type Attrs } from "@polychip/hal";

/** The reduction axes of attrs.axes (every axis when absent), normalised, deduplicated and sorted, as the HAL's infer reads them. */
export function reductionAxes(op: string, rank: number, attrs: Attrs): number[] {
  const axes = attrs.axes === undefined || attrs.axes === null ? [...Array(rank).keys()] : listAttr(op, attrs, "axes");
  return [...new Set(axes.map((a) => normalizeAxis(op, a, rank)))].sort((a, b) => a - b);
}

/** A permutation that puts the kept dims first (in order) and `axes` last, so each output element reduces one contiguous run. */
export function keptThenReduced(rank: number, axes: readonly number[]): number[] {
  const kept = [...Array(rank).keys()].filter((d) => !axes.includes(d));
  return [...kept, ...axes];
}

export const keepDims = (attrs: Attrs) => boolAttr(attrs, "keepDims");
