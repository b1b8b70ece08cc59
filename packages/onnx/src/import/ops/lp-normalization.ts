import { ShapeError } from "@polychip/hal";
import { axesOf, axisOf, bin, input, output, requireFloatInput, scalarLike, un, type OpImporter } from "./helpers.ts";
import { absPower, root } from "./lp-pool.ts";

/** LpNormalization: x / ‖x‖_p along `axis` (p 1 or 2); a zero norm gives 0, as ONNX's reference does. */
const lpNormalization: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  requireFloatInput(ctx, x);
  const p = node.attrs.int("p", 2)!;
  if (p !== 1 && p !== 2) throw new ShapeError(`${ctx.where()}: p must be 1 or 2, got ${p}`);
  const axis = axisOf(ctx, node.attrs.int("axis", -1)!, ctx.rank(x));
  const norm = root(ctx, ctx.op("reduceSum", [absPower(ctx, x, p)], { axes: [axis], keepDims: true }), p);
  const zero = scalarLike(ctx, 0, x);
  const isZero = bin(ctx, "equal", norm, zero);
  const safe = ctx.op("where", [isZero, scalarLike(ctx, 1, x), norm]);
  ctx.op("where", [isZero, zero, bin(ctx, "div", x, safe)], {}, output(node));
};

/**
 * MeanVarianceNormalization: (x − E[x]) / (sqrt(E[x²] − E[x]²) + 1e-9) over `axes` (default
 * [0, 2, 3]), ONNX's function body for opsets 9, 13 and 18 alike.
 */
const meanVarianceNormalization: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  requireFloatInput(ctx, x);
  const shape = ctx.shape(x, "MeanVarianceNormalization");
  const axes = axesOf(ctx, node.attrs.ints("axes", [0, 2, 3])!, shape.length);
  const count = scalarLike(
    ctx,
    axes.reduce((c, a) => c * shape[a]!, 1),
    x,
  );
  const mean = (v: string) => bin(ctx, "div", ctx.op("reduceSum", [v], { axes, keepDims: true }), count);
  const m = mean(x);
  const variance = bin(ctx, "sub", mean(bin(ctx, "mul", x, x)), bin(ctx, "mul", m, m));
  const std = bin(ctx, "add", un(ctx, "sqrt", variance), scalarLike(ctx, 1e-9, x));
  bin(ctx, "div", bin(ctx, "sub", x, m), std, output(node));
};

export const LP_NORMALIZATION_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  LpNormalization: lpNormalization,
  MeanVarianceNormalization: meanVarianceNormalization,
};
