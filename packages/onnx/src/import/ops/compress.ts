import { ShapeError } from "@polychip/hal";
import { axisOf, input, output, type OpImporter } from "./helpers.ts";

/**
 * Compress: the slices along `axis` (of the flattened input without one) whose condition is true;
 * a condition shorter than the dim leaves the rest out. How many slices come out depends on the
 * condition's values, so they must be known at import (OnnxSession computes them per run with a
 * prefix of the model, as for NonZero); the data itself may be a run-time value.
 */
const compress: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const condition = ctx.requireConstant(input(ctx, node, 1), "Compress's condition (the size of its output depends on its values)");
  if (condition.shape.length !== 1) throw new ShapeError(`${ctx.where()}: condition must be 1-D, got [${condition.shape.join(", ")}]`);
  const axisAttr = node.attrs.int("axis");
  const source = axisAttr === undefined ? ctx.op("reshape", [x], { shape: [-1] }) : x;
  const axis = axisAttr === undefined ? 0 : axisOf(ctx, axisAttr, ctx.rank(x));
  const size = ctx.shape(source, "Compress")[axis]!;
  const picked: number[] = [];
  Array.from(condition.data as ArrayLike<number>).forEach((c, i) => {
    if (!c) return;
    if (i >= size) throw new ShapeError(`${ctx.where()}: condition selects index ${i} of a dim of size ${size}`);
    picked.push(i);
  });
  if (picked.length === 0) throw new ShapeError(`${ctx.where()}: the condition selects nothing, and Polychip has no empty tensors`);
  ctx.op("gather", [source, ctx.const(picked, [picked.length], "int32")], { axis }, output(node));
};

export const COMPRESS_IMPORTERS: Readonly<Record<string, OpImporter>> = { Compress: compress };
