import { ShapeError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { bin, input, output, requireFloatInput, scalarLike, un, type OpImporter } from "./helpers.ts";

/**
 * Det of [..., M, M] as Gaussian elimination with partial pivoting, unrolled over the M columns on
 * the whole batch at once: each step moves the row with the largest |value| in the column to the
 * top (flipping the sign when it moves), multiplies the determinant by that pivot and eliminates
 * the column from the rows below, leaving an (M−1)×(M−1) matrix for the next step.
 */
const det: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  requireFloatInput(ctx, x);
  const dims = ctx.shape(x, "Det");
  const m = dims.at(-1)!;
  if (dims.length < 2 || dims.at(-2) !== m) throw new ShapeError(`${ctx.where()}: input must be [..., M, M], got [${dims.join(", ")}]`);
  const batchDims = dims.slice(0, -2);
  const batch = batchDims.reduce((a, b) => a * b, 1);
  let a = ctx.op("reshape", [x], { shape: [batch, m, m] });
  let result = ctx.op("fill", [], { shape: [batch], dtype: ctx.dtype(x), value: 1 });
  for (let n = m; n > 0; n--) {
    a = pivotFirst(ctx, a, batch, n, (flip) => (result = bin(ctx, "mul", result, flip)));
    const top = ctx.op("slice", [a], { starts: [0], ends: [1], axes: [1] });
    const pivot = ctx.op("reshape", [ctx.op("slice", [top], { starts: [0], ends: [1], axes: [2] })], { shape: [batch] });
    result = bin(ctx, "mul", result, pivot);
    if (n === 1) break;
    // A zero pivot means a zero column (the determinant is already 0): divide by 1 to keep NaN out.
    const zero = scalarLike(ctx, 0, x);
    const safe = ctx.op("where", [bin(ctx, "equal", pivot, zero), scalarLike(ctx, 1, x), pivot]);
    const below = ctx.op("slice", [a], { starts: [1, 1], ends: [n, n], axes: [1, 2] });
    const firstCol = ctx.op("slice", [a], { starts: [1, 0], ends: [n, 1], axes: [1, 2] });
    const factor = bin(ctx, "div", firstCol, ctx.op("reshape", [safe], { shape: [batch, 1, 1] }));
    const topRest = ctx.op("slice", [top], { starts: [1], ends: [n], axes: [2] });
    a = bin(ctx, "sub", below, bin(ctx, "mul", factor, topRest));
  }
  ctx.op("reshape", [result], { shape: batchDims }, output(node));
};

/** `a` [B, n, n] with the row holding the largest |value| of column 0 swapped with row 0; `flip` gets −1 where rows moved, 1 elsewhere. */
function pivotFirst(ctx: ImportContext, a: string, batch: number, n: number, flip: (sign: string) => void): string {
  if (n === 1) return a;
  const column = ctx.op("reshape", [ctx.op("slice", [a], { starts: [0], ends: [1], axes: [2] })], { shape: [batch, n] });
  const best = ctx.op("argMax", [un(ctx, "abs", column)], { axis: 1, keepDims: true });
  const rows = ctx.const(
    Array.from({ length: n }, (_, i) => i),
    [1, n],
    "int32",
  );
  const zero = ctx.scalar(0, "int32");
  const order = ctx.op("where", [bin(ctx, "equal", rows, zero), best, ctx.op("where", [bin(ctx, "equal", rows, best), zero, rows])]);
  const moved = bin(ctx, "notEqual", ctx.op("reshape", [best], { shape: [batch] }), zero);
  const dtype = ctx.dtype(a);
  flip(ctx.op("where", [moved, ctx.scalar(-1, dtype), ctx.scalar(1, dtype)]));
  const index = ctx.op("expand", [ctx.op("reshape", [order], { shape: [batch, n, 1] })], { shape: [batch, n, n] });
  return ctx.op("gatherElements", [a, index], { axis: 1 });
}

export const DET_IMPORTERS: Readonly<Record<string, OpImporter>> = { Det: det };
