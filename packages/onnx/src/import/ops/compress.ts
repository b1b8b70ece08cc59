import { ShapeError } from "@polychip/hal";
import type { HostTensor } from "../../tensor.ts";
import { lowerThroughHost } from "../host-step.ts";
import { axisOf, input, output, type OpImporter } from "./helpers.ts";

/**
 * Compress: the slices along `axis` (of the flattened input without one) whose condition is true;
 * a condition shorter than the dim leaves the rest out. How many slices come out depends on the
 * condition's values, so the indices it picks are found on the host (host-step.ts: at import when
 * the condition is known, else per run under OnnxSession) and the data, which stays on the device,
 * is gathered at them (none: a zero-size axis, which later ops carry like any size).
 */
const compress: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const axisAttr = node.attrs.int("axis");
  const source = axisAttr === undefined ? ctx.op("reshape", [x], { shape: [-1] }) : x;
  const axis = axisAttr === undefined ? 0 : axisOf(ctx, axisAttr, ctx.rank(x));
  const size = ctx.shape(source, "Compress")[axis]!;
  lowerThroughHost(ctx, node, {
    reads: [input(ctx, node, 1)],
    why: "Compress's condition (the size of its output depends on its values)",
    results: 1,
    compute: picking(size, ctx.where()),
    lower: ([picked]) => ctx.op("gather", [source, picked!], { axis }, output(node)),
  });
};

/** The host part (a function of its own: a closure in the importer would keep the whole import alive while a session caches the step). */
function picking(size: number, where: string) {
  return ([condition]: readonly (HostTensor | undefined)[]) => [pickedIndices(condition!, size, where)];
}

/** The positions where the 1-D condition is true, each inside a dim of `size`. */
function pickedIndices(condition: HostTensor, size: number, where: string): HostTensor {
  if (condition.shape.length !== 1) throw new ShapeError(`${where}: condition must be 1-D, got [${condition.shape.join(", ")}]`);
  const picked: number[] = [];
  Array.from(condition.data as ArrayLike<number>).forEach((c, i) => {
    if (!c) return;
    if (i >= size) throw new ShapeError(`${where}: condition selects index ${i} of a dim of size ${size}`);
    picked.push(i);
  });
  // Selecting nothing is an empty [0] index: the gather then gives the data with a zero-size axis, as onnxruntime does.
  return { dtype: "int32", shape: [picked.length], data: Int32Array.from(picked) };
}

export const COMPRESS_IMPORTERS: Readonly<Record<string, OpImporter>> = { Compress: compress };
