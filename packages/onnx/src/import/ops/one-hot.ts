import { ShapeError } from "@polychip/hal";
import { axisOf, bin, castTo, input, output, type OpImporter } from "./helpers.ts";

/**
 * OneHot: a new axis of `depth` positions, on_value where it equals the index (negative indices
 * count from depth; others out of range match nowhere, so every position is off_value). Indices
 * of any numeric dtype truncate to integers, as ONNX casts them to int64.
 */
const oneHot: OpImporter = (ctx, node) => {
  const indices = input(ctx, node, 0);
  const depthValues = ctx.ints(input(ctx, node, 1), "OneHot's depth (the size of the new axis)");
  if (depthValues.length !== 1) throw new ShapeError(`${ctx.where()}: depth must hold one value, got ${depthValues.length}`);
  const depth = Math.trunc(depthValues[0]!);
  if (!(depth >= 1)) throw new ShapeError(`${ctx.where()}: depth must be positive, got ${depthValues[0]}`);
  const values = input(ctx, node, 2);
  if (ctx.shape(values, "OneHot's values").reduce((a, b) => a * b, 1) !== 2)
    throw new ShapeError(`${ctx.where()}: values must hold [off_value, on_value], got shape [${ctx.dims(values).join(", ")}]`);
  const rank = ctx.rank(indices);
  const axis = axisOf(ctx, node.attrs.int("axis", -1)!, rank + 1);
  const idx = castTo(ctx, indices, "int32");
  const wrapped = ctx.op("where", [bin(ctx, "less", idx, ctx.scalar(0, "int32")), bin(ctx, "add", idx, ctx.scalar(depth, "int32")), idx]);
  const positions = ctx.const(
    Array.from({ length: depth }, (_, i) => i),
    Array.from({ length: rank + 1 }, (_, d) => (d === axis ? depth : 1)),
    "int32",
  );
  const hit = bin(ctx, "equal", ctx.op("unsqueeze", [wrapped], { axes: [axis] }), positions);
  const flat = ctx.op("reshape", [values], { shape: [2] });
  const pick = (i: number) => ctx.op("reshape", [ctx.op("slice", [flat], { starts: [i], ends: [i + 1], axes: [0] })], { shape: [] });
  ctx.op("where", [hit, pick(1), pick(0)], {}, output(node));
};

export const ONE_HOT_IMPORTERS: Readonly<Record<string, OpImporter>> = { OneHot: oneHot };
