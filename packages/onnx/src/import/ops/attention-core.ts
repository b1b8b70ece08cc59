import type { ImportContext } from "../context.ts";
import { bin, scalarLike, un } from "./helpers.ts";
import { matmulOf } from "./matmul.ts";

/** Pieces the com.microsoft attention operators share: head layouts, grouped heads, masked softmax attention. */

/** [B, L, heads·size] → [B, heads, L, size]. */
export function headsFirst(ctx: ImportContext, t: string, batch: number, len: number, heads: number, size: number): string {
  return ctx.op("permute", [ctx.op("reshape", [t], { shape: [batch, len, heads, size] })], { dims: [0, 2, 1, 3] });
}

/** [B, heads, L, size] → [B, L, heads·size]. */
export function headsLast(ctx: ImportContext, t: string, batch: number, len: number, heads: number, size: number, out?: string): string {
  return ctx.op("reshape", [ctx.op("permute", [t], { dims: [0, 2, 1, 3] })], { shape: [batch, len, heads * size] }, out);
}

/** Grouped-query heads: [B, kvHeads, L, size] → [B, kvHeads·group, L, size], each key/value head serving `group` query heads in a row. */
export function repeatHeads(ctx: ImportContext, t: string, group: number): string {
  if (group === 1) return t;
  const [b, kvHeads, len, size] = ctx.shape(t, "grouped-query attention");
  const wide = ctx.op("expand", [ctx.op("unsqueeze", [t], { axes: [2] })], { shape: [b!, kvHeads!, group, len!, size!] });
  return ctx.op("reshape", [wide], { shape: [b!, kvHeads! * group, len!, size!] });
}

/** Concatenation along the sequence axis (2) of heads-first tensors. */
export function concatSequence(ctx: ImportContext, parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : ctx.op("concat", [...parts], { axis: 2 });
}

export interface AttendOptions {
  readonly scale: number;
  /** Scores pass through softcap·tanh(scores / softcap) before masking (0: off). */
  readonly softcap?: number;
  /** Added to the scaled scores; broadcasts to [B, heads, S, L] (a mask of 0 and −∞ or a filter value, an attention bias). */
  readonly bias?: readonly string[];
  /** An extra logit per head ([1, heads, 1, 1]) that joins the softmax's denominator and attends to nothing (attention sinks, smooth softmax). */
  readonly sink?: string;
}

/** softmax(q·kᵀ·scale (+ bias))·v on heads-first q [B, N, S, H], k [B, N, L, H], v [B, N, L, Hv]: [B, N, S, Hv]. */
export function attend(ctx: ImportContext, qh: string, kh: string, vh: string, options: AttendOptions): string {
  const kt = ctx.op("permute", [kh], { dims: [0, 1, 3, 2] });
  let scores = bin(ctx, "mul", matmulOf(ctx, qh, kt), scalarLike(ctx, options.scale, qh));
  if (options.softcap) {
    const cap = scalarLike(ctx, options.softcap, qh);
    scores = bin(ctx, "mul", un(ctx, "tanh", bin(ctx, "div", scores, cap)), cap);
  }
  for (const b of options.bias ?? []) scores = bin(ctx, "add", scores, b);
  if (!options.sink) return matmulOf(ctx, ctx.op("softmax", [scores], { axis: 3 }), vh);
  const [b, n, s, l] = ctx.shape(scores, "attention with a sink");
  const sink = ctx.op("expand", [options.sink], { shape: [b!, n!, s!, 1] });
  const weights = ctx.op("softmax", [ctx.op("concat", [scores, sink], { axis: 3 })], { axis: 3 });
  return matmulOf(ctx, ctx.op("slice", [weights], { starts: [0], ends: [l!], axes: [3] }), vh);
}
