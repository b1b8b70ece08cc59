import type { Attrs } from "../../device.ts";
import { isFloat, type DType } from "../../dtype.ts";
import { contiguousStrides, normalizeAxis, sizeOf } from "../../shape.ts";
import { boolAttr, numAttr } from "../attrs.ts";
import type { DecompositionContext } from "../types.ts";
import { filled } from "./helpers.ts";

/** Padding keys: after every real key in the sort order (ties with real keys go to the real one by rank). */
const LAST_KEY: Record<DType, [ascending: number, descending: number]> = {
  float32: [Infinity, -Infinity],
  float16: [Infinity, -Infinity],
  int32: [2147483647, -2147483648],
  int8: [127, -128],
  uint8: [255, 0],
  bool: [255, 0],
};

/**
 * A bitonic sorting network over (key, rank) pairs along the axis, padded to a power of two m:
 * log2(m)·(log2(m)+1)/2 compare-exchange stages, each a fixed handful of elementwise primitives and
 * two gathers with a host-computed partner table — no data-dependent control flow, so any device
 * runs it (O(m log² m) work, O(log² m) launches; the cpu kernel sorts directly in O(n log n)).
 *
 * The rank makes the order total, which is what makes an unstable network give torch's stable
 * result: rank = index + m·group, where the group orders what the key alone cannot — NaN (its key
 * replaced by +Inf) after +Inf ascending and before it descending, and the padding after all.
 */
export function argsort<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const x = inputs[0]!;
  const { shape, dtype } = ctx.meta(x);
  const axis = normalizeAxis("argsort", numAttr("argsort", attrs, "axis", -1), shape.length);
  const descending = boolAttr(attrs, "descending");
  const n = shape[axis]!;
  if (sizeOf(shape) === 0) return [filled(ctx, shape, "int32", 0)];
  let m = 1;
  while (m < n) m *= 2;
  const padded = shape.map((d, i) => (i === axis ? m : d));
  const region = { shape, strides: contiguousStrides(padded), offset: 0 };
  // A [m] table seen along the axis: trailing dims of size 1 broadcast it over every row.
  const alongAxis = (values: ArrayLike<number>, type: DType): V => ctx.constant(values, [m, ...shape.slice(axis + 1).map(() => 1)], type);

  const keyType: DType = dtype === "bool" ? "uint8" : dtype;
  let keys = filled(ctx, padded, keyType, LAST_KEY[dtype][descending ? 1 : 0]);
  const rankShift = filled(ctx, padded, "int32", 0);
  const source = dtype === "bool" ? ctx.call("cast", [x], { to: "uint8" }) : x;
  if (isFloat(dtype)) {
    const nan = ctx.call("isNaN", [source]);
    ctx.copyInto(keys, region, ctx.call("where", [nan, ctx.constant([Infinity], [], dtype), source]));
    const nanGroup = ctx.call("where", [nan, ctx.constant([descending ? -m : m], [], "int32"), ctx.constant([0], [], "int32")]);
    ctx.copyInto(rankShift, region, nanGroup);
  } else {
    ctx.copyInto(keys, region, source);
  }
  // Real elements in group 1 when descending (NaN: 0), else 0 (NaN: 1); padding in group 2.
  const base = Int32Array.from({ length: m }, (_, p) => p + m * (p >= n ? 2 : descending ? 1 : 0));
  let ranks = ctx.call("add", [rankShift, alongAxis(base, "int32")]);

  const comesFirst = descending ? "greater" : "less";
  for (let k = 2; k <= m; k *= 2) {
    for (let j = k / 2; j >= 1; j /= 2) {
      const partner = Int32Array.from({ length: m }, (_, p) => p ^ j);
      // Position p keeps the first of the pair when its block ascends and it is the lower position.
      const keepsLast = Uint8Array.from({ length: m }, (_, p) => Number(((p & k) === 0) !== p < (p ^ j)));
      const table = ctx.constant(partner, [m], "int32");
      const otherKey = ctx.call("gather", [keys, table], { axis });
      const otherRank = ctx.call("gather", [ranks, table], { axis });
      const otherFirst = ctx.call("logicalOr", [
        ctx.call(comesFirst, [otherKey, keys]),
        ctx.call("logicalAnd", [ctx.call("equal", [otherKey, keys]), ctx.call("less", [otherRank, ranks])]),
      ]);
      const take = ctx.call("logicalXor", [otherFirst, alongAxis(keepsLast, "bool")]);
      keys = ctx.call("where", [take, otherKey, keys]);
      ranks = ctx.call("where", [take, otherRank, ranks]);
    }
  }
  const firstN = ctx.call(
    "gather",
    [
      ranks,
      ctx.constant(
        Int32Array.from({ length: n }, (_, i) => i),
        [n],
        "int32",
      ),
    ],
    { axis },
  );
  return [ctx.call("mod", [firstN, ctx.constant([m], [], "int32")])];
}
