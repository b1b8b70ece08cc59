import { contiguousStrides, ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { bin, castTo, scatterDistinct } from "./helpers.ts";

/** The ONNX scatter reductions that combine duplicates by an operation scatterAdd cannot do. */
export type CombiningReduction = "mul" | "max" | "min";

const BINARY_OF: Readonly<Record<CombiningReduction, string>> = { mul: "mul", max: "maximum", min: "minimum" };

export function isCombiningReduction(r: string): r is CombiningReduction {
  return r === "mul" || r === "max" || r === "min";
}

/**
 * `x` with each element that `idx` points at (scatterAdd's indexing along `axis`) combined with
 * every update aimed at it by `reduction` — ONNX's ScatterElements/ScatterND with reduction mul,
 * max or min, duplicates included. The HAL has no such scatter, so this is built from primitives
 * and runs on every device in O(n log n): each update gets the flat position it targets, a stable
 * argsort groups equal targets, a segmented scan (log2 n shifted steps) folds each group into its
 * last entry, and only those entries are written (scatterAdd into zeros, so nothing collides).
 * Within a group the combining order is a tree, not left to right; ONNX leaves it undefined.
 */
export function scatterReduce(
  ctx: ImportContext,
  x: string,
  idx: string,
  updates: string,
  axis: number,
  reduction: CombiningReduction | "none",
  out?: string,
): string {
  const dtype = ctx.dtype(x);
  if (dtype === "bool") {
    // max/min/mul on bool are or/and/and: the same results on 0/1 bytes.
    const asBytes = scatterReduce(ctx, castTo(ctx, x, "uint8"), idx, castTo(ctx, updates, "uint8"), axis, reduction);
    return ctx.op("cast", [asBytes], { to: "bool" }, out);
  }
  const xShape = ctx.shape(x, "a scatter");
  const iShape = ctx.shape(idx, "a scatter");
  const n = iShape.reduce((a, b) => a * b, 1);
  const m = xShape.reduce((a, b) => a * b, 1);
  const uShape = ctx.shape(updates, "a scatter");
  if (iShape.length !== xShape.length || uShape.join() !== iShape.join() || iShape.some((d, i) => i !== axis && d > xShape[i]!))
    throw new ShapeError(
      `${ctx.where()}: indices [${iShape.join(", ")}] and updates [${uShape.join(", ")}] do not fit data [${xShape.join(", ")}] along axis ${axis}`,
    );
  if (n === 0) return ctx.op("identity", [x], {}, out);
  if (n >= 2 ** 31 || m >= 2 ** 31) throw new UnsupportedOpError(`${ctx.where()}: a scatter of ${n} updates into ${m} elements exceeds int32 positions`);
  const targets = ctx.op(
    "reshape",
    [bin(ctx, "add", bin(ctx, "mul", idx, ctx.scalar(contiguousStrides(xShape)[axis]!, "int32")), positionsBesides(ctx, xShape, iShape, axis))],
    {
      shape: [n],
    },
  );
  const order = ctx.op("argsort", [targets], { axis: 0 });
  const keys = ctx.op("gather", [targets, order], { axis: 0 });
  let folded = ctx.op("gather", [ctx.op("reshape", [updates], { shape: [n] }), order], { axis: 0 });
  const head = (v: string, len: number) => ctx.op("slice", [v], { starts: [0], ends: [len], axes: [0] });
  const tail = (v: string, from: number) => ctx.op("slice", [v], { starts: [from], ends: [n], axes: [0] });
  // "none" keeps each group's last update (the stable sort keeps the updates' order within a group).
  for (let s = 1; s < n && reduction !== "none"; s *= 2) {
    // Sorted keys: equal at distance s means the whole span between lies in one group.
    const sameGroup = bin(ctx, "equal", tail(keys, s), head(keys, n - s));
    const combined = bin(ctx, BINARY_OF[reduction as CombiningReduction], tail(folded, s), head(folded, n - s));
    folded = ctx.op("concat", [head(folded, s), ctx.op("where", [sameGroup, combined, tail(folded, s)])], { axis: 0 });
  }
  const last = ctx.const([1], [1], "bool");
  const lastOfGroup = n === 1 ? last : ctx.op("concat", [bin(ctx, "notEqual", head(keys, n - 1), tail(keys, 1)), last], { axis: 0 });
  const zero = ctx.scalar(0, dtype);
  const written = ctx.op("scatterAdd", [ctx.op("fill", [], { shape: [m], dtype, value: 0 }), keys, ctx.op("where", [lastOfGroup, folded, zero])], { axis: 0 });
  // Counted along the original axis, so the scatter's own index check sees the indices as given.
  const hits = ctx.op(
    "scatterAdd",
    [ctx.op("fill", [], { shape: xShape, dtype: "int32", value: 0 }), idx, ctx.op("fill", [], { shape: iShape, dtype: "int32", value: 1 })],
    { axis },
  );
  const hit = bin(ctx, "greater", hits, ctx.scalar(0, "int32"));
  const reduced = ctx.op("reshape", [written], { shape: xShape });
  return ctx.op("where", [hit, reduction === "none" ? reduced : bin(ctx, BINARY_OF[reduction], x, reduced), x], {}, out);
}

/**
 * `x` with `updates` written where `idx` points along `axis` (ONNX's ScatterElements/ScatterND
 * with reduction "none", MaxUnpool). Where two updates aim at one element the later one wins, as
 * in onnxruntime (ONNX leaves the order undefined; a sum of them would be no order's result).
 * Indices known at import without repeated targets take scatterDistinct's two scatters; indices
 * only a run knows, or with repeats, go through scatterReduce's sort by target.
 */
export function scatterReplace(ctx: ImportContext, x: string, idx: string, updates: string, axis: number, out?: string): string {
  if (targetsKnownDistinct(ctx, x, idx, axis)) return scatterDistinct(ctx, x, idx, updates, axis, out);
  return scatterReduce(ctx, x, idx, updates, axis, "none", out);
}

/** Whether `idx` is known at import and no two of its elements target one element of `x`. */
function targetsKnownDistinct(ctx: ImportContext, x: string, idx: string, axis: number): boolean {
  const known = ctx.constant(idx);
  if (!known) return sizeOfShape(ctx.shape(idx, "a scatter")) <= 1;
  const xShape = ctx.shape(x, "a scatter");
  const strides = contiguousStrides(xShape);
  const iShape = known.shape;
  const seen = new Set<number>();
  for (let i = 0; i < known.data.length; i++) {
    let rest = i;
    let target = 0;
    for (let d = iShape.length - 1; d >= 0; d--) {
      const at = rest % iShape[d]!;
      rest = Math.floor(rest / iShape[d]!);
      const v = d === axis ? Number(known.data[i]) : at;
      target += (d === axis && v < 0 ? v + xShape[d]! : v) * strides[d]!;
    }
    if (seen.has(target)) return false;
    seen.add(target);
  }
  return true;
}

const sizeOfShape = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** For each element of an index tensor of shape `iShape`, its flat offset in `xShape` from every dim but `axis`. */
function positionsBesides(ctx: ImportContext, xShape: readonly number[], iShape: readonly number[], axis: number): string {
  const strides = contiguousStrides(xShape);
  const n = iShape.reduce((a, b) => a * b, 1);
  const offsets = new Int32Array(n);
  for (let d = 0; d < iShape.length; d++) {
    if (d === axis) continue;
    const inner = iShape.slice(d + 1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++) offsets[i] += (Math.floor(i / inner) % iShape[d]!) * strides[d]!;
  }
  return ctx.const(offsets, iShape, "int32");
}
