import { isFloat, ShapeError } from "@polychip/hal";
import { axisOf, bin, castTo, input, output, type OpImporter } from "./helpers.ts";

/**
 * CumSum as log2(n) passes of slices, adds and a concat (Hillis-Steele): pass k adds to each
 * element the one 2^k before it (after it, with `reverse`). `exclusive` shifts the result by one
 * along the axis, with 0 first.
 */
const cumSum: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  const axisValues = ctx.ints(input(ctx, node, 1), "CumSum's axis");
  if (axisValues.length !== 1) throw new ShapeError(`${ctx.where()}: axis must hold one value, got ${axisValues.length}`);
  const axis = axisOf(ctx, axisValues[0]!, rank);
  const n = ctx.shape(x, "CumSum")[axis]!;
  const reverse = node.attrs.int("reverse", 0) === 1;
  const exclusive = node.attrs.int("exclusive", 0) === 1;
  const dtype = ctx.dtype(x);
  const work = isFloat(dtype) || dtype === "int32" ? dtype : "int32";
  const part = (v: string, from: number, to: number) => ctx.op("slice", [v], { starts: [from], ends: [to], axes: [axis] });
  let y = castTo(ctx, x, work);
  for (let k = 1; k < n; k *= 2) {
    y = reverse
      ? ctx.op("concat", [bin(ctx, "add", part(y, 0, n - k), part(y, k, n)), part(y, n - k, n)], { axis })
      : ctx.op("concat", [part(y, 0, k), bin(ctx, "add", part(y, k, n), part(y, 0, n - k))], { axis });
  }
  if (exclusive && n > 0) {
    const zeroShape = ctx.shape(x, "CumSum").map((d, i) => (i === axis ? 1 : d));
    const zero = ctx.op("fill", [], { shape: zeroShape, dtype: work, value: 0 });
    y = reverse ? ctx.op("concat", [part(y, 1, n), zero], { axis }) : ctx.op("concat", [zero, part(y, 0, n - 1)], { axis });
  }
  ctx.bind(output(node), castTo(ctx, y, dtype));
};

export const CUMSUM_IMPORTERS: Readonly<Record<string, OpImporter>> = { CumSum: cumSum };
