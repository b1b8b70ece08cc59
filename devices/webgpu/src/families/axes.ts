import { listAttr, normalizeAxis, type Attrs, type TensorView } from "@polychip/hal";
import { ParamBlock } from "../runtime/params.ts";
import { coalesce } from "./strided.ts";

/** The HAL's reduction axes: attrs.axes normalised and sorted, all dims when absent. */
export function reduceAxes(op: string, rank: number, attrs: Attrs): number[] {
  const axes = attrs.axes === undefined || attrs.axes === null ? [...Array(rank).keys()] : listAttr(op, attrs, "axes");
  return [...new Set(axes.map((a) => normalizeAxis(op, a, rank)))].sort((a, b) => a - b);
}

/**
 * A view split into kept dims (one output element per combination) and reduced dims, each
 * coalesced, as parameters for `reduceIndexWgsl`. Works for any strides, contiguous or not.
 */
export interface ReduceSplit {
  readonly outputs: number;
  readonly reduced: number;
  /** Stride of the innermost reduced dim (1: each output's elements are adjacent). */
  readonly innerStride: number;
  readonly keptRank: number;
  readonly reducedRank: number;
}

export function splitAxes(x: TensorView, axes: readonly number[], params: ParamBlock): ReduceSplit {
  const keptDims = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const pick = (dims: number[]) =>
    coalesce(
      dims.map((d) => x.shape[d]!),
      [dims.map((d) => x.strides[d]!)],
    );
  const kept = pick(keptDims);
  const red = pick([...axes]);
  params.i32("in_off", x.offset).u32("kshape", kept.shape).i32("kst", kept.strides[0]!).u32("rshape", red.shape).i32("rst", red.strides[0]!);
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return {
    outputs: prod(kept.shape),
    reduced: prod(red.shape),
    innerStride: red.strides[0]!.at(-1) ?? 1,
    keptRank: kept.shape.length,
    reducedRank: red.shape.length,
  };
}

/** WGSL: `base_index(o)` = element index of output o's first element, `red_index(q)` = offset of the q-th reduced element. */
export function reduceIndexWgsl(split: ReduceSplit): string {
  const walk = (name: string, shape: string, stride: string, rank: number, init: string) =>
    [
      `fn ${name}(q: u32) -> i32 {`,
      `  var i: i32 = ${init};`,
      rank > 0
        ? `  var r = q;\n  for (var d: i32 = ${rank - 1}; d >= 0; d--) { let sz = ${shape}(u32(d)); i += i32(r % sz) * ${stride}(u32(d)); r = r / sz; }`
        : "",
      "  return i;",
      "}",
    ].join("\n");
  return [walk("base_index", "prm_kshape", "prm_kst", split.keptRank, "prm_in_off()"), walk("red_index", "prm_rshape", "prm_rst", split.reducedRank, "0")].join(
    "\n",
  );
}
