import type { ImportContext } from "../context.ts";
import { bin, castTo } from "./helpers.ts";

/**
 * Rotary position embedding on x [B, S, heads, head]: the first `rotary` values of every head
 * turn by the angle cached for its position — halves (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin),
 * or adjacent pairs when interleaved. positions [B or 1, S] index the caches [max_position, rotary/2].
 */
export function rotate(ctx: ImportContext, x: string, positions: string, caches: { cos: string; sin: string }, rotary: number, interleaved: boolean): string {
  const [batch, seq, heads, headSize] = ctx.shape(x, "rotary embedding");
  const half = rotary / 2;
  const angle = (cache: string) => ctx.op("unsqueeze", [ctx.op("gather", [cache, castTo(ctx, positions, "int32")], { axis: 0 })], { axes: [2] });
  const [cos, sin] = [angle(caches.cos), angle(caches.sin)];
  const part = (from: number, to: number) => ctx.op("slice", [x], { starts: [from], ends: [to], axes: [3] });
  let rotated: string;
  if (interleaved) {
    const pairs = ctx.op("reshape", [part(0, rotary)], { shape: [batch!, seq!, heads!, half, 2] });
    const pick = (k: number) => ctx.op("squeeze", [ctx.op("slice", [pairs], { starts: [k], ends: [k + 1], axes: [4] })], { axes: [4] });
    const [x1, x2] = [pick(0), pick(1)];
    const a = bin(ctx, "sub", bin(ctx, "mul", x1, cos), bin(ctx, "mul", x2, sin));
    const b = bin(ctx, "add", bin(ctx, "mul", x2, cos), bin(ctx, "mul", x1, sin));
    const stacked = ctx.op("concat", [ctx.op("unsqueeze", [a], { axes: [4] }), ctx.op("unsqueeze", [b], { axes: [4] })], { axis: 4 });
    rotated = ctx.op("reshape", [stacked], { shape: [batch!, seq!, heads!, rotary] });
  } else {
    const [x1, x2] = [part(0, half), part(half, rotary)];
    rotated = ctx.op(
      "concat",
      [bin(ctx, "sub", bin(ctx, "mul", x1, cos), bin(ctx, "mul", x2, sin)), bin(ctx, "add", bin(ctx, "mul", x2, cos), bin(ctx, "mul", x1, sin))],
      { axis: 3 },
    );
  }
  return rotary < headSize! ? ctx.op("concat", [rotated, part(rotary, headSize!)], { axis: 3 }) : rotated;
}
