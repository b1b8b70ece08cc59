import { UnsupportedOpError, type DType } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, castTo } from "./helpers.ts";

/**
 * The additive mask of MultiHeadAttention/Attention, [B or 1, 1, S, T]: 0 where a key is kept,
 * mask_filter_value where the padding mask (key_padding_mask, mask_index) or unidirectional masks it (undefined: nothing masked).
 * The padding mask may be a run-time input; the causal part is a constant.
 */
export function attentionMask(
  ctx: ImportContext,
  node: OnnxNode,
  padding: string | undefined,
  { batch, seq, total }: { batch: number; seq: number; total: number },
  dtype: DType,
): string | undefined {
  const causal = node.attrs.int("unidirectional", 0) === 1;
  if (!padding && !causal) return undefined;
  const kept: string[] = [];
  if (causal) {
    const past = total - seq;
    kept.push(
      ctx.const(
        Array.from({ length: seq * total }, (_, i) => (i % total <= Math.floor(i / total) + past ? 1 : 0)),
        [1, 1, seq, total],
        "bool",
      ),
    );
  }
  if (padding) kept.push(keptKeys(ctx, padding, batch, seq, total));
  const all = kept.reduce((a, b) => bin(ctx, "logicalAnd", a, b));
  const filter = node.attrs.float("mask_filter_value", -10000);
  return ctx.op("where", [all, ctx.scalar(0, dtype), ctx.scalar(filter, dtype)]);
}

/** The padding mask as booleans [B, 1, S or 1, T]: (B) key lengths keep positions below the length; (B, T) and (B, S, T) keep non-zeros. */
function keptKeys(ctx: ImportContext, mask: string, batch: number, seq: number, total: number): string {
  const dims = ctx.shape(mask, "the attention mask");
  const m = castTo(ctx, mask, "int32");
  if (dims.length === 1 && dims[0] === batch) {
    const positions = ctx.const(
      Array.from({ length: total }, (_, i) => i),
      [1, 1, 1, total],
      "int32",
    );
    return bin(ctx, "less", positions, ctx.op("reshape", [m], { shape: [batch, 1, 1, 1] }));
  }
  const nonZero = (t: string) => bin(ctx, "notEqual", t, ctx.scalar(0, "int32"));
  if (dims.length === 2 && dims[0] === batch && dims[1] === total) return nonZero(ctx.op("reshape", [m], { shape: [batch, 1, 1, total] }));
  if (dims.length === 3 && dims[0] === batch && dims[1] === seq && dims[2] === total) return nonZero(ctx.op("reshape", [m], { shape: [batch, 1, seq, total] }));
  throw new UnsupportedOpError(
    `${ctx.where()}: mask [${dims}] is not one of (batch) = [${batch}], (batch, total) = [${batch}, ${total}] or (batch, sequence, total) = [${batch}, ${seq}, ${total}]`,
  );
}
