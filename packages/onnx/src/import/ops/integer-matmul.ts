import { UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { matmulOf } from "./matmul.ts";

/**
 * A zero point as the HAL's integerMatmul takes it: per tensor, or 1-D along A's rows / B's
 * columns. ONNX also writes a per-row one as [.., M, 1] and a per-column one as [.., 1, N].
 */
function zeroPointOf(ctx: ImportContext, zp: string, along: "row" | "column"): string {
  const dims = ctx.dims(zp);
  if (dims.length <= 1) return zp;
  const keep = dims.length - (along === "row" ? 2 : 1);
  if (!dims.every((d, i) => i === keep || d === 1)) {
    throw new UnsupportedOpError(`${ctx.where()}: a zero point of shape [${dims.join(", ")}] is not supported (per tensor, or one per ${along})`);
  }
  const n = dims[keep]!;
  if (typeof n !== "number") throw new UnsupportedOpError(`${ctx.where()}: a per-${along} zero point needs a static length, got [${dims.join(", ")}]`);
  return ctx.op("reshape", [zp], { shape: n === 1 ? [] : [n] });
}

/**
 * (A − aZero)·(B − bZero) summed exactly in int32 on the HAL's integerMatmul, broadcast as numpy
 * matmul (matmulOf). A float32 GEMM would be exact only while partial sums stay below 2^24.
 */
export function integerMatmulOf(ctx: ImportContext, a: string, b0: string, za: string | undefined, zb: string | undefined, out?: string): string {
  const zA = za && zeroPointOf(ctx, za, "row");
  const zB = zb && zeroPointOf(ctx, zb, "column");
  const zeros = zA || zB ? [zA ?? ctx.scalar(0, ctx.dtype(a)), ...(zB ? [zB] : [])] : [];
  // A per-row zero point must meet A's own rows, so a batched A is not folded into one matrix of rows.
  const perRow = zA !== undefined && ctx.rank(zA) === 1;
  const lead = ctx.rank(a) - 2;
  const b = perRow && lead > 0 && ctx.rank(b0) === 2 ? ctx.op("unsqueeze", [b0], { axes: [...Array(lead).keys()] }) : b0;
  return matmulOf(ctx, a, b, out, (c, x, y, o) => c.op("integerMatmul", [x, y, ...zeros], {}, o));
}
