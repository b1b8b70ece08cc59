import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import { axisOf, input, output, type OpImporter } from "./helpers.ts";

/**
 * TopK as the HAL's stable argsort along the axis (descending for the largest), its first k
 * positions and a gatherElements: O(n log n) per row for any k. Stability gives ONNX's order for
 * ties (the lower index first); NaN sorts as the largest value, as in PyTorch.
 */
const topK: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dims = ctx.dims(x);
  const axis = axisOf(ctx, node.attrs.int("axis", -1), dims.length);
  const k = node.opset >= 10 ? ctx.ints(input(ctx, node, 1), "TopK's k")[0] : node.attrs.int("k");
  const n = dims[axis];
  if (k === undefined || !Number.isInteger(k) || k < 0) throw new ShapeError(`${ctx.where()}: invalid k ${k}`);
  if (typeof n !== "number") throw new UnsupportedOpError(`${ctx.where()}: TopK along a run-time dim`);
  if (k > n) throw new ShapeError(`${ctx.where()}: k = ${k} exceeds dim ${axis} of size ${n}`);
  const largest = node.attrs.int("largest", 1) === 1;
  const order = ctx.op("argsort", [x], { axis, descending: largest });
  const indices = ctx.op("slice", [order], { starts: [0], ends: [k], axes: [axis] }, output(node, 1));
  if (output(node, 0)) ctx.op("gatherElements", [x, indices], { axis }, output(node, 0));
};

export const TOPK_IMPORTERS: Record<string, OpImporter> = {
  TopK: topK,
};
