import { FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { attend, concatSequence, headsFirst, headsLast, repeatHeads } from "./attention-core.ts";
import { bin, castTo, input, optionalInput, output, type OpImporter } from "./helpers.ts";
import { rotate } from "./rotary.ts";

/** Inputs and attributes of GroupQueryAttention that Polychip does not lower, with why. */
const REFUSED_INPUTS: readonly [number, string][] = [
  [12, "k_scale (quantised KV cache)"],
  [13, "v_scale (quantised KV cache)"],
  [14, "q_norm_weight"],
  [15, "k_norm_weight"],
];

/**
 * com.microsoft GroupQueryAttention (onnxruntime's ContribOperators.md): query [B, S, heads·H]
 * (or packed [Q|K|V] when key is absent), key/value [B, S, kvHeads·H], each key/value head shared
 * by heads/kvHeads query heads. past_key/past_value are BNSH caches; batch entry b has
 * seqlens_k[b] + 1 tokens in all, its new tokens start at past_b = seqlens_k[b] + 1 − S (0 for a
 * prompt, when total_sequence_length = S), and present_key/present_value are the past rows
 * [0, past_b) then the new ones, zero beyond, max(total, past buffer) long. Query i sees keys up
 * to past_b + i (causal), the last local_window_size of them with a window, never beyond seqlens_k[b];
 * optional rotary embedding (do_rotary, positions past_b + i), softcap, attention_bias,
 * smooth_softmax (a zero logit joins every softmax's denominator) and head_sink (that logit per
 * query head instead; it takes precedence over smooth_softmax).
 * seqlens_k and total_sequence_length decide the layout, so they are needed when the model is
 * planned (OnnxSession computes them per run).
 */
export const groupQueryAttention: OpImporter = (ctx, node) => {
  for (const [i, what] of REFUSED_INPUTS) if (optionalInput(node, i)) throw new UnsupportedOpError(`${ctx.where()}: ${what} is not supported`);
  if (output(node, 3)) throw new UnsupportedOpError(`${ctx.where()}: the output_qk output is not supported`);
  if (node.attrs.int("sliding_window_cache", 0) !== 0) throw new UnsupportedOpError(`${ctx.where()}: sliding_window_cache is not supported`);
  const heads = node.attrs.int("num_heads");
  const kvHeads = node.attrs.int("kv_num_heads");
  if (!heads || !kvHeads || heads < 1 || kvHeads < 1) throw new FormatError(`${ctx.where()}: num_heads and kv_num_heads are required`);
  if (heads % kvHeads !== 0) throw new ShapeError(`${ctx.where()}: num_heads ${heads} is not a multiple of kv_num_heads ${kvHeads}`);
  const { q, k, v, batch, seq, headSize } = projections(ctx, node, heads, kvHeads);

  const seqlens = ctx.ints(input(ctx, node, 5), "GroupQueryAttention's seqlens_k");
  const total = ctx.ints(input(ctx, node, 6), "GroupQueryAttention's total_sequence_length")[0]!;
  if (seqlens.length !== batch) throw new ShapeError(`${ctx.where()}: seqlens_k has ${seqlens.length} entries for batch ${batch}`);
  const [pastKey, pastValue] = [optionalInput(node, 3), optionalInput(node, 4)];
  if (!pastKey !== !pastValue) throw new FormatError(`${ctx.where()}: past_key and past_value must be given together`);
  const pastRows = pastKey ? ctx.shape(pastKey, "GroupQueryAttention's past_key")[2]! : 0;
  for (const p of [pastKey, pastValue]) {
    const dims = p ? ctx.shape(p, "GroupQueryAttention's past state") : [batch, kvHeads, pastRows, headSize];
    if (dims.join() !== [batch, kvHeads, pastRows, headSize].join())
      throw new ShapeError(
        `${ctx.where()}: past_key/past_value [${dims}] must be [batch, kv_num_heads, past, head] = [${[batch, kvHeads, pastRows, headSize]}]`,
      );
  }
  const prompt = total === seq;
  const past = seqlens.map((n, b) => {
    const p = prompt ? 0 : n + 1 - seq;
    if (p < 0 || p > pastRows || n + 1 > total)
      throw new ShapeError(`${ctx.where()}: seqlens_k[${b}] = ${n} does not fit ${seq} new tokens, ${pastRows} past rows and total_sequence_length ${total}`);
    return p;
  });
  const rows = Math.max(total, pastRows);

  let q4 = ctx.op("reshape", [q], { shape: [batch, seq, heads, headSize] });
  let k4 = ctx.op("reshape", [k], { shape: [batch, seq, kvHeads, headSize] });
  if (node.attrs.int("do_rotary", 0) === 1) {
    const caches = { cos: input(ctx, node, 7), sin: input(ctx, node, 8) };
    const rotary = 2 * ctx.shape(caches.cos, "GroupQueryAttention's cos_cache")[1]!;
    if (rotary > headSize) throw new ShapeError(`${ctx.where()}: rotary cache of ${rotary / 2} columns does not fit head size ${headSize}`);
    const positions = rotaryPositions(ctx, optionalInput(node, 9), past, seq, prompt);
    const interleaved = node.attrs.int("rotary_interleaved", 0) === 1;
    q4 = rotate(ctx, q4, positions, caches, rotary, interleaved);
    k4 = rotate(ctx, k4, positions, caches, rotary, interleaved);
  }
  const toHeads = (t: string) => ctx.op("permute", [t], { dims: [0, 2, 1, 3] });
  const present = (cache: string | undefined, fresh: string) => appendToCache(ctx, cache, fresh, past, rows);
  const presentKey = present(pastKey, toHeads(k4));
  const presentValue = present(pastValue, headsFirst(ctx, v, batch, seq, kvHeads, headSize));
  ctx.bind(output(node, 1), presentKey);
  ctx.bind(output(node, 2), presentValue);

  const bias = [visibilityMask(ctx, node, seqlens, past, seq, rows, ctx.dtype(q))];
  const attentionBias = optionalInput(node, 10);
  if (attentionBias) {
    if (rows !== total) throw new UnsupportedOpError(`${ctx.where()}: attention_bias with a past buffer longer than total_sequence_length is not supported`);
    bias.push(attentionBias);
  }
  const group = heads / kvHeads;
  const attended = attend(ctx, toHeads(q4), repeatHeads(ctx, presentKey, group), repeatHeads(ctx, presentValue, group), {
    scale: node.attrs.float("scale", 1 / Math.sqrt(headSize)),
    softcap: node.attrs.float("softcap", 0),
    bias,
    sink: sinkOf(ctx, node, heads),
  });
  headsLast(ctx, attended, batch, seq, heads, headSize, output(node));
};

/**
 * Rotary positions [B or 1, S]: past_b + i, or position_ids — of which a prompt reads only the
 * very first entry and counts on from it for every batch entry (as onnxruntime's kernel does).
 */
function rotaryPositions(ctx: ImportContext, positionIds: string | undefined, past: readonly number[], seq: number, prompt: boolean): string {
  const counting = (starts: readonly number[]) =>
    ctx.const(
      starts.flatMap((p) => Array.from({ length: seq }, (_, i) => p + i)),
      [starts.length, seq],
      "int32",
    );
  if (!positionIds) return counting(past);
  const ids = castTo(ctx, positionIds, "int32");
  if (!prompt) return ids;
  const first = ctx.op("slice", [ids], { starts: [0, 0], ends: [1, 1], axes: [0, 1] });
  return bin(ctx, "add", first, counting([0]));
}

/**
 * The extra logit each query head's softmax gets in its denominator: head_sink [heads] when given
 * (onnxruntime then ignores smooth_softmax), else 0 for every head with smooth_softmax.
 */
function sinkOf(ctx: ImportContext, node: Parameters<OpImporter>[1], heads: number): string | undefined {
  const headSink = optionalInput(node, 11);
  if (headSink) {
    const dims = ctx.shape(headSink, "GroupQueryAttention's head_sink");
    if (dims.length !== 1 || dims[0] !== heads) throw new ShapeError(`${ctx.where()}: head_sink [${dims}] must be [num_heads] = [${heads}]`);
    return ctx.op("reshape", [castTo(ctx, headSink, ctx.dtype(input(ctx, node, 0)))], { shape: [1, heads, 1, 1] });
  }
  return node.attrs.int("smooth_softmax", 0) === 1 ? ctx.const([0], [1, 1, 1, 1], ctx.dtype(input(ctx, node, 0))) : undefined;
}

/** Query, key and value as [B, S, ·], from separate inputs or a packed [Q|K|V] query. */
function projections(ctx: ImportContext, node: Parameters<OpImporter>[1], heads: number, kvHeads: number) {
  const query = input(ctx, node, 0);
  if (ctx.rank(query) !== 3) throw new UnsupportedOpError(`${ctx.where()}: query must be 3-D [batch, sequence, hidden], got rank ${ctx.rank(query)}`);
  const [batch, seq, width] = ctx.shape(query, "GroupQueryAttention");
  const [key, value] = [optionalInput(node, 1), optionalInput(node, 2)];
  if (!key !== !value) throw new FormatError(`${ctx.where()}: key and value must be given together`);
  const headSize = key ? width! / heads : width! / (heads + 2 * kvHeads);
  if (!Number.isInteger(headSize))
    throw new ShapeError(
      `${ctx.where()}: query width ${width} does not divide into ${heads} query heads${key ? "" : ` and 2×${kvHeads} packed key/value heads`}`,
    );
  if (key && value) {
    for (const t of [key, value]) {
      const dims = ctx.shape(t, "GroupQueryAttention");
      if (dims.join() !== [batch, seq, kvHeads * headSize].join())
        throw new ShapeError(`${ctx.where()}: key/value [${dims}] must be [batch, sequence, kv_num_heads·head] = [${[batch, seq, kvHeads * headSize]}]`);
    }
    return { q: query, k: key, v: value, batch: batch!, seq: seq!, headSize };
  }
  const cut = (from: number, size: number) => ctx.op("slice", [query], { starts: [from], ends: [from + size], axes: [2] });
  const [qWidth, kvWidth] = [heads * headSize, kvHeads * headSize];
  return { q: cut(0, qWidth), k: cut(qWidth, kvWidth), v: cut(qWidth + kvWidth, kvWidth), batch: batch!, seq: seq!, headSize };
}

/** present = past rows [0, past_b) then the new rows, zeros up to `rows`, per batch entry. */
function appendToCache(ctx: ImportContext, cache: string | undefined, fresh: string, past: readonly number[], rows: number): string {
  const seq = ctx.shape(fresh, "GroupQueryAttention")[2]!;
  const entries = past.map((p, b) => {
    const pick = (t: string) => ctx.op("slice", [t], { starts: [b], ends: [b + 1], axes: [0] });
    const parts = [...(cache && p > 0 ? [ctx.op("slice", [pick(cache)], { starts: [0], ends: [p], axes: [2] })] : []), pick(fresh)];
    const filled = concatSequence(ctx, parts);
    const missing = rows - p - seq;
    return missing > 0 ? ctx.op("pad", [filled], { pads: [0, 0, 0, 0, 0, 0, missing, 0], mode: "constant", value: 0 }) : filled;
  });
  return entries.length === 1 ? entries[0]! : ctx.op("concat", entries, { axis: 0 });
}

/** [B, 1, S, rows]: 0 where query i of entry b may see key j, −∞ elsewhere (causal, local window, beyond seqlens_k). */
function visibilityMask(
  ctx: ImportContext,
  node: Parameters<OpImporter>[1],
  seqlens: readonly number[],
  past: readonly number[],
  seq: number,
  rows: number,
  dtype: ReturnType<ImportContext["dtype"]>,
): string {
  const causal = node.attrs.int("causal", 1) === 1;
  const window = node.attrs.int("local_window_size", -1);
  const data = new Float32Array(past.length * seq * rows);
  past.forEach((p, b) => {
    for (let i = 0; i < seq; i++) {
      const position = p + i;
      for (let j = 0; j < rows; j++) {
        const visible = j <= seqlens[b]! && (!causal || j <= position) && (window < 0 || j > position - window);
        data[(b * seq + i) * rows + j] = visible ? 0 : -Infinity;
      }
    }
  });
  return ctx.const(data, [past.length, 1, seq, rows], dtype);
}
