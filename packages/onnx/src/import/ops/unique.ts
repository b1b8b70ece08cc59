import { hostArray, ShapeError } from "@polychip/hal";
import { axisOf, input, output, type OpImporter } from "./helpers.ts";

/** Lexicographic order of two equally long slices. */
function compareSlices(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/**
 * Unique: the distinct elements (or, with `axis`, the distinct slices along it) of a tensor, in
 * ascending (lexicographic) order or, with sorted = 0, in order of first occurrence, with each
 * one's first index, each input element's (slice's) position in the result, and each one's count.
 * How many there are depends on the values, so the input must be known at import (OnnxSession
 * computes it per run with a prefix of the model, as for NonZero); the outputs are constants.
 */
const unique: OpImporter = (ctx, node) => {
  const x = ctx.requireConstant(input(ctx, node, 0), "Unique's input (the size of its outputs depends on its values)");
  const axisAttr = node.attrs.int("axis");
  const dims = axisAttr === undefined ? [x.data.length] : x.shape;
  const axis = axisAttr === undefined ? 0 : axisOf(ctx, axisAttr, x.shape.length);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const count = dims[axis]!;
  if (count === 0) throw new ShapeError(`${ctx.where()}: the input is empty along the axis, and Polychip has no empty tensors`);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const values = x.data as ArrayLike<number>;
  // Slice s holds, for every outer index o and inner index i, the element at (o, s, i).
  const slices = Array.from({ length: count }, (_, s) =>
    Array.from({ length: outer * inner }, (_, j) => values[(Math.floor(j / inner) * count + s) * inner + (j % inner)]!),
  );
  const byKey = new Map<string, number>();
  const firsts: number[] = [];
  const slot = slices.map((slice, s) => {
    const key = slice.join(",");
    if (!byKey.has(key)) {
      byKey.set(key, firsts.length);
      firsts.push(s);
    }
    return byKey.get(key)!;
  });
  const order = firsts.map((_, u) => u);
  if (node.attrs.int("sorted", 1) === 1) order.sort((a, b) => compareSlices(slices[firsts[a]!]!, slices[firsts[b]!]!));
  const rank = new Array<number>(order.length);
  order.forEach((u, r) => (rank[u] = r));
  const inverse = slot.map((u) => rank[u]!);
  const picked = order.map((u) => firsts[u]!);
  const counts = new Array<number>(picked.length).fill(0);
  for (const u of inverse) counts[u]!++;
  const k = picked.length;
  const y = hostArray(x.dtype, outer * k * inner);
  picked.forEach((s, u) => slices[s]!.forEach((v, j) => (y[(Math.floor(j / inner) * k + u) * inner + (j % inner)] = v)));
  const yShape = dims.map((d, i) => (i === axis ? k : d));
  ctx.bind(output(node, 0), ctx.const(y, yShape, x.dtype));
  ctx.bind(output(node, 1), ctx.const(picked, [k], "int32"));
  ctx.bind(output(node, 2), ctx.const(inverse, [count], "int32"));
  ctx.bind(output(node, 3), ctx.const(counts, [k], "int32"));
};

export const UNIQUE_IMPORTERS: Readonly<Record<string, OpImporter>> = { Unique: unique };
