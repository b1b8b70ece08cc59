import { isFloat } from "@polychip/hal";
import { bin, castTo, input, output, scalarLike, type OpImporter } from "./helpers.ts";

/** Shrink: x + bias below −lambd, x − bias above lambd, 0 between (integers compared and shifted in float32, then cast back). */
const shrink: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dtype = ctx.dtype(x);
  const v = isFloat(dtype) ? x : castTo(ctx, x, "float32");
  const lambd = node.attrs.float("lambd", 0.5)!;
  const bias = node.attrs.float("bias", 0)!;
  const below = bin(ctx, "less", v, scalarLike(ctx, -lambd, v));
  const above = bin(ctx, "greater", v, scalarLike(ctx, lambd, v));
  const inner = ctx.op("where", [above, bin(ctx, "sub", v, scalarLike(ctx, bias, v)), scalarLike(ctx, 0, v)]);
  const y = ctx.op("where", [below, bin(ctx, "add", v, scalarLike(ctx, bias, v)), inner]);
  ctx.bind(output(node), castTo(ctx, y, dtype));
};

export const SHRINK_IMPORTERS: Readonly<Record<string, OpImporter>> = { Shrink: shrink };
