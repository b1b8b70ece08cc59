import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import { axisOf, bin, castTo, input, optionalInput, output, scatterDistinct, type OpImporter } from "./helpers.ts";
import { scatterReplace } from "./scatter-reduce.ts";
import { SHAPE_IMPORTERS } from "./shape.ts";

/**
 * TensorScatter (opset 24), the in-place KV-cache update Attention's external cache pairs with:
 * the cache with the update written along `axis` from write_indices[b] on for each batch entry
 * b (0 when absent), wrapping around the cache's length in "circular" mode. The indices may be a
 * run-time input.
 */
const tensorScatter: OpImporter = (ctx, node) => {
  const cache = input(ctx, node, 0);
  const update = input(ctx, node, 1);
  const dims = ctx.shape(cache, "TensorScatter");
  const updateDims = ctx.shape(update, "TensorScatter's update");
  const axis = axisOf(ctx, node.attrs.int("axis", -2)!, dims.length);
  const mode = node.attrs.string("mode", "linear");
  if (mode !== "linear" && mode !== "circular") throw new UnsupportedOpError(`${ctx.where()}: mode '${mode}' is not linear or circular`);
  if (axis === 0) throw new ShapeError(`${ctx.where()}: axis must not be the batch axis 0`);
  if (updateDims.length !== dims.length || updateDims.some((d, i) => (i === axis ? d > dims[i]! : d !== dims[i])))
    throw new ShapeError(`${ctx.where()}: update [${updateDims}] does not fit cache [${dims}] along axis ${axis}`);
  const rank = dims.length;
  const along = (n: number) => Array.from({ length: rank }, (_, i) => (i === axis ? n : 1));
  const steps = ctx.const(
    Array.from({ length: updateDims[axis]! }, (_, i) => i),
    along(updateDims[axis]!),
    "int32",
  );
  const indices = optionalInput(node, 2);
  const starts = indices
    ? ctx.op("reshape", [castTo(ctx, indices, "int32")], { shape: [dims[0]!, ...Array<number>(rank - 1).fill(1)] })
    : ctx.scalar(0, "int32");
  let positions = bin(ctx, "add", starts, steps);
  if (mode === "circular") positions = bin(ctx, "mod", positions, ctx.scalar(dims[axis]!, "int32"));
  // The positions of one batch entry are distinct, unless a circular write is longer than the cache.
  const distinct = mode !== "circular" || updateDims[axis]! <= dims[axis]!;
  (distinct ? scatterDistinct : scatterReplace)(ctx, cache, ctx.op("expand", [positions], { shape: updateDims }), update, axis, output(node));
};

export const TENSOR_SCATTER_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  TensorScatter: tensorScatter,
  // Scatter (opsets 9-10, deprecated in 11) is ScatterElements without a reduction.
  Scatter: SHAPE_IMPORTERS.ScatterElements!,
};
