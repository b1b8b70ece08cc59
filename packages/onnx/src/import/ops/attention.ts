import { FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import { attend, concatSequence, headsFirst, headsLast } from "./attention-core.ts";
import { attentionMask } from "./attention-mask.ts";
import { groupQueryAttention } from "./group-query-attention.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, input, optionalInput, output, type OpImporter } from "./helpers.ts";
import { rotate } from "./rotary.ts";
import { selfAttention } from "./self-attention.ts";

/** onnxruntime's com.microsoft attention operators (its ContribOperators.md semantics). */

/**
 * MultiHeadAttention: softmax(Q·Kᵀ·scale + mask + attention_bias)·V per head, scale 1/√head by
 * default. Query [B, S, D] with key [B, L, D] and value [B, L, Dv] (bias [D + D + Dv] added to
 * each), key and value already split into heads [B, heads, L, head] (cross-attention caches; the
 * bias's Q part only), packed K|V in key [B, L, heads, 2, head], or packed Q|K|V in query
 * [B, S, heads, 3, head]. With past_key/past_value [B, heads, P, head] the keys and values are the
 * past followed by the new ones (total T = P + L), returned as present_key/present_value.
 * key_padding_mask is (B) key lengths, (B, T) or (B, S, T) with 0 for masked; unidirectional masks
 * future positions. A masked score is mask_filter_value (−10000 by default), as onnxruntime sets it.
 */
const multiHeadAttention: OpImporter = (ctx, node) => {
  for (const i of [8, 9])
    if (optionalInput(node, i))
      throw new UnsupportedOpError(`${ctx.where()}: past_sequence_length and cache_indirection (shared-buffer beam search) are not supported`);
  if (output(node, 3)) throw new UnsupportedOpError(`${ctx.where()}: the qk output is not supported`);
  const heads = node.attrs.int("num_heads");
  if (!heads || heads < 1) throw new FormatError(`${ctx.where()}: num_heads is required`);
  const { q, kh: newKeys, vh: newValues, headSize, vHeadSize } = mhaProjections(ctx, node, heads);
  const [batch, seq] = ctx.shape(q, "MultiHeadAttention");
  let [kh, vh] = [newKeys, newValues];
  const [pastKey, pastValue] = [optionalInput(node, 6), optionalInput(node, 7)];
  if (!pastKey !== !pastValue) throw new FormatError(`${ctx.where()}: past_key and past_value must be given together`);
  if (pastKey && pastValue) {
    const want = (size: number) => [batch!, heads, ctx.shape(pastKey, "MultiHeadAttention's past_key")[2]!, size];
    const [pk, pv] = [ctx.shape(pastKey, "past_key"), ctx.shape(pastValue, "past_value")];
    if (pk.join() !== want(headSize).join() || pv.join() !== want(vHeadSize).join())
      throw new ShapeError(
        `${ctx.where()}: past_key [${pk}] and past_value [${pv}] must be [batch, heads, past, head] = [${want(headSize)}] and [${want(vHeadSize)}]`,
      );
    kh = concatSequence(ctx, [pastKey, kh]);
    vh = concatSequence(ctx, [pastValue, vh]);
  }
  ctx.bind(output(node, 1), kh);
  ctx.bind(output(node, 2), vh);
  const total = ctx.shape(kh, "MultiHeadAttention")[2]!;
  const masks = [attentionMask(ctx, node, optionalInput(node, 4), { batch: batch!, seq: seq!, total }, ctx.dtype(q))];
  const attentionBias = optionalInput(node, 5);
  const attended = attend(ctx, headsFirst(ctx, q, batch!, seq!, heads, headSize), kh, vh, {
    scale: node.attrs.float("scale", 1 / Math.sqrt(headSize)),
    bias: [...masks.filter((m): m is string => m !== undefined), ...(attentionBias ? [attentionBias] : [])],
  });
  headsLast(ctx, attended, batch!, seq!, heads, vHeadSize, output(node));
};

/** MultiHeadAttention's query [B, S, D] and its keys and values heads-first, from whichever input layout the node uses. */
function mhaProjections(ctx: ImportContext, node: OnnxNode, heads: number) {
  const query = input(ctx, node, 0);
  const [key, value, bias] = [optionalInput(node, 1), optionalInput(node, 2), optionalInput(node, 3)];
  const dims = (t: string) => ctx.shape(t, "MultiHeadAttention");
  const pick = (t: string, axis: number, i: number, shape: number[]) =>
    ctx.op("reshape", [ctx.op("slice", [t], { starts: [i], ends: [i + 1], axes: [axis] })], { shape });
  const biasPart = (start: number, size: number) => ctx.op("slice", [bias!], { starts: [start], ends: [start + size], axes: [0] });
  const withBias = (t: string, start: number, size: number) => (bias ? bin(ctx, "add", t, biasPart(start, size)) : t);
  if (!key) {
    // Packed Q|K|V: [B, S, heads, 3, head].
    const [b, s, n, three, h] = dims(query);
    if (ctx.rank(query) !== 5 || n !== heads || three !== 3)
      throw new ShapeError(`${ctx.where()}: without key, query must be packed [batch, sequence, heads, 3, head] with ${heads} heads, got [${dims(query)}]`);
    const part = (i: number) => withBias(pick(query, 3, i, [b!, s!, n! * h!]), i * n! * h!, n! * h!);
    return { q: part(0), kh: headsFirst(ctx, part(1), b!, s!, n!, h!), vh: headsFirst(ctx, part(2), b!, s!, n!, h!), headSize: h!, vHeadSize: h! };
  }
  if (ctx.rank(query) !== 3)
    throw new UnsupportedOpError(`${ctx.where()}: query must be 3-D [batch, sequence, hidden] when key is given, got [${dims(query)}]`);
  const [batch, , hidden] = dims(query);
  if (hidden! % heads !== 0) throw new ShapeError(`${ctx.where()}: hidden size ${hidden} does not divide into ${heads} heads`);
  const headSize = hidden! / heads;
  const q = withBias(query, 0, hidden!);
  if (!value) {
    // Packed K|V: [B, L, heads, 2, head].
    const [b, l, n, two, h] = dims(key);
    if (ctx.rank(key) !== 5 || n !== heads || two !== 2 || h !== headSize)
      throw new ShapeError(
        `${ctx.where()}: without value, key must be packed [batch, length, heads, 2, head] = [${batch}, L, ${heads}, 2, ${headSize}], got [${dims(key)}]`,
      );
    const part = (i: number) => headsFirst(ctx, withBias(pick(key, 3, i, [b!, l!, n! * h!]), (1 + i) * hidden!, hidden!), b!, l!, n!, h!);
    return { q, kh: part(0), vh: part(1), headSize, vHeadSize: headSize };
  }
  if (ctx.rank(key) === 4 && ctx.rank(value) === 4) {
    // Keys and values already heads-first (a cross-attention cache): only the query takes its bias.
    const [kd, vd] = [dims(key), dims(value)];
    if (kd[0] !== batch || kd[1] !== heads || kd[3] !== headSize || vd[0] !== batch || vd[1] !== heads || vd[2] !== kd[2])
      throw new ShapeError(`${ctx.where()}: 4-D key [${kd}] and value [${vd}] must be [batch, heads, length, head] with ${heads} heads of ${headSize}`);
    return { q, kh: key, vh: value, headSize, vHeadSize: vd[3]! };
  }
  if (ctx.rank(key) !== 3 || ctx.rank(value) !== 3)
    throw new UnsupportedOpError(`${ctx.where()}: key [${dims(key)}] and value [${dims(value)}] must both be 3-D or both 4-D`);
  const [, kvSeq, vHidden] = dims(value);
  if (vHidden! % heads !== 0) throw new ShapeError(`${ctx.where()}: value hidden size ${vHidden} does not divide into ${heads} heads`);
  const vHeadSize = vHidden! / heads;
  return {
    q,
    kh: headsFirst(ctx, withBias(key, hidden!, hidden!), batch!, kvSeq!, heads, headSize),
    vh: headsFirst(ctx, withBias(value, 2 * hidden!, vHidden!), batch!, kvSeq!, heads, vHeadSize),
    headSize,
    vHeadSize,
  };
}

/**
 * RotaryEmbedding: rotates the first rotary_dim values of every head by the angle cached for its
 * position — halves (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin), or adjacent pairs when
 * interleaved. Input [B, S, hidden] (num_heads given) or [B, heads, S, head]; position_ids
 * [B, S], or one offset (positions offset..offset+S−1); caches [max_position, rotary_dim/2].
 */
const rotaryEmbedding: OpImporter = (ctx, node) => {
  if (node.attrs.int("is_packed_batching", 0) === 1) throw new UnsupportedOpError(`${ctx.where()}: packed batching is not supported`);
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  if (rank !== 3 && rank !== 4) throw new ShapeError(`${ctx.where()}: input must be 3-D [B, S, hidden] or 4-D [B, heads, S, head], got rank ${rank}`);
  const dims = ctx.shape(x, "RotaryEmbedding");
  const cosCache = input(ctx, node, 2);
  const half = ctx.shape(cosCache, "RotaryEmbedding's cache")[1]!;
  const seq = rank === 3 ? dims[1]! : dims[2]!;
  let heads = rank === 4 ? dims[1]! : node.attrs.int("num_heads", 0);
  if (rank === 3 && heads === 0) heads = dims[2]! / (2 * half);
  const headSize = rank === 4 ? dims[3]! : dims[2]! / heads;
  if (!Number.isInteger(headSize)) throw new ShapeError(`${ctx.where()}: hidden size ${dims[2]} does not divide into ${heads} heads`);
  const rotary = node.attrs.int("rotary_embedding_dim", 0) || 2 * half;
  if (rotary !== 2 * half || rotary > headSize)
    throw new ShapeError(`${ctx.where()}: rotary dim ${rotary} does not fit cache [.., ${half}] and head size ${headSize}`);
  // [B, S, heads, head] either way, positions along dim 1.
  const heads4 = rank === 3 ? ctx.op("reshape", [x], { shape: [dims[0]!, seq, heads, headSize] }) : ctx.op("permute", [x], { dims: [0, 2, 1, 3] });
  let positions = input(ctx, node, 1);
  if (ctx.rank(positions) !== 2) {
    const offset = Number(ctx.requireConstant(positions, "RotaryEmbedding's position offset").data[0]);
    positions = ctx.const(
      Array.from({ length: seq }, (_, i) => offset + i),
      [1, seq],
      "int32",
    );
  }
  const full = rotate(ctx, heads4, positions, { cos: cosCache, sin: input(ctx, node, 3) }, rotary, node.attrs.int("interleaved", 0) === 1);
  if (rank === 3) ctx.op("reshape", [full], { shape: dims }, output(node));
  else ctx.op("permute", [full], { dims: [0, 2, 1, 3] }, output(node));
};

export const ATTENTION_IMPORTERS: Record<string, OpImporter> = {
  Attention: selfAttention,
  GroupQueryAttention: groupQueryAttention,
  MultiHeadAttention: multiHeadAttention,
  RotaryEmbedding: rotaryEmbedding,
};
