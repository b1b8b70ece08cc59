import { hostArray } from "@polychip/hal";
import type { HostTensor } from "../../tensor.ts";
import { lowerThroughHost } from "../host-step.ts";
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
 * How many there are depends on the values, so it runs on the host (host-step.ts: at import when
 * the input is known, else per run under OnnxSession, whose plan for the rest of the model reads
 * the four results as inputs of their sizes).
 */
const unique: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const axisAttr = node.attrs.int("axis");
  const axis = axisAttr === undefined ? undefined : axisOf(ctx, axisAttr, ctx.rank(x));
  const sorted = node.attrs.int("sorted", 1) === 1;
  lowerThroughHost(ctx, node, {
    reads: [x],
    why: "Unique's input (the size of its outputs depends on its values)",
    results: 4,
    compute: uniqueStep(axis, sorted),
    lower: (results) => results.forEach((r, i) => ctx.bind(output(node, i), r)),
  });
};

/** The host part (a function of its own: a closure in the importer would keep the whole import alive while a session caches the step). */
function uniqueStep(axis: number | undefined, sorted: boolean) {
  return ([x]: readonly (HostTensor | undefined)[]) => uniqueOf(x!, axis, sorted);
}

/** Unique's four results (values, first indices, inverse indices, counts) for x along `axis` (flattened when undefined). */
function uniqueOf(x: HostTensor, axisOrFlat: number | undefined, sorted: boolean): HostTensor[] {
  const dims = axisOrFlat === undefined ? [x.data.length] : x.shape;
  const axis = axisOrFlat ?? 0;
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  // An empty input (count 0) gives empty outputs; along an axis whose slices are empty, they are all one.
  const count = dims[axis]!;
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
  if (sorted) order.sort((a, b) => compareSlices(slices[firsts[a]!]!, slices[firsts[b]!]!));
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
  return [
    { dtype: x.dtype, shape: yShape, data: y },
    { dtype: "int32", shape: [k], data: Int32Array.from(picked) },
    { dtype: "int32", shape: [count], data: Int32Array.from(inverse) },
    { dtype: "int32", shape: [k], data: Int32Array.from(counts) },
  ];
}

export const UNIQUE_IMPORTERS: Readonly<Record<string, OpImporter>> = { Unique: unique };
