import { FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import { attend, concatSequence, headsFirst, headsLast } from "./attention-core.ts";
import { attentionMask } from "./attention-mask.ts";
import { groupQueryAttention } from "./group-query-attention.ts";
import { bin, input, optionalInput, output, type OpImporter } from "./helpers.ts";
import { rotate } from "./rotary.ts";
import { selfAttention } from "./self-attention.ts";

/** onnxruntime's com.microsoft attention operators (its ContribOperators.md semantics). */

/**
 * MultiHeadAttention with separate 3-D query [B, S, D], key [B, L, D] and value [B, L, Dv]
 * (optional packed bias [D + D + Dv]): softmax(Q·Kᵀ·scale + mask + attention_bias)·V per head,
 * scale 1/√(D/heads) by default. With past_key/past_value [B, heads, P, head] the keys and values
 * are the past followed by the new ones (total T = P + L), returned as present_key/present_value.
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
  let [q, k, v] = [0, 1, 2].map((i) => input(ctx, node, i)) as [string, string, string];
  for (const t of [q, k, v])
    if (ctx.rank(t) !== 3) throw new UnsupportedOpError(`${ctx.where()}: only 3-D query, key and value ([batch, sequence, hidden]) are supported`);
  const [batch, seq, hidden] = ctx.shape(q, "MultiHeadAttention");
  const [, kvSeq, vHidden] = ctx.shape(v, "MultiHeadAttention");
  if (hidden! % heads !== 0 || vHidden! % heads !== 0)
    throw new ShapeError(`${ctx.where()}: hidden sizes ${hidden} and ${vHidden} do not divide into ${heads} heads`);
  const bias = optionalInput(node, 3);
  if (bias) {
    const part = (start: number, size: number) => ctx.op("slice", [bias], { starts: [start], ends: [start + size], axes: [0] });
    q = bin(ctx, "add", q, part(0, hidden!));
    k = bin(ctx, "add", k, part(hidden!, hidden!));
    v = bin(ctx, "add", v, part(2 * hidden!, vHidden!));
  }
  const headSize = hidden! / heads;
  let kh = headsFirst(ctx, k, batch!, kvSeq!, heads, headSize);
  let vh = headsFirst(ctx, v, batch!, kvSeq!, heads, vHidden! / heads);
  const [pastKey, pastValue] = [optionalInput(node, 6), optionalInput(node, 7)];
  if (!pastKey !== !pastValue) throw new FormatError(`${ctx.where()}: past_key and past_value must be given together`);
  if (pastKey && pastValue) {
    const want = (size: number) => [batch!, heads, ctx.shape(pastKey, "MultiHeadAttention's past_key")[2]!, size];
    const [pk, pv] = [ctx.shape(pastKey, "past_key"), ctx.shape(pastValue, "past_value")];
    if (pk.join() !== want(headSize).join() || pv.join() !== want(vHidden! / heads).join())
      throw new ShapeError(
        `${ctx.where()}: past_key [${pk}] and past_value [${pv}] must be [batch, heads, past, head] = [${want(headSize)}] and [${want(vHidden! / heads)}]`,
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
  headsLast(ctx, attended, batch!, seq!, heads, vHidden! / heads, output(node));
};

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
