import { FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import { bin, castTo, input, optionalInput, output, scalarLike, type OpImporter } from "./helpers.ts";
import { matmulOf } from "./matmul.ts";

/** onnxruntime's com.microsoft attention operators (its ContribOperators.md semantics). */

/**
 * MultiHeadAttention with separate 3-D query [B, S, D], key [B, L, D] and value [B, L, Dv]
 * (optional packed bias [D + D + Dv]): softmax(Q·Kᵀ·scale)·V per head, scale 1/√(D/heads) by
 * default; unidirectional masks future positions. Masks, attention bias and past state are not supported.
 */
const multiHeadAttention: OpImporter = (ctx, node) => {
  for (const i of [4, 5, 6, 7])
    if (optionalInput(node, i)) throw new UnsupportedOpError(`${ctx.where()}: masks, attention bias and past key/value are not supported`);
  if (output(node, 1) || output(node, 2)) throw new UnsupportedOpError(`${ctx.where()}: present key/value outputs are not supported`);
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
  const split = (t: string, len: number, size: number) =>
    ctx.op("permute", [ctx.op("reshape", [t], { shape: [batch!, len, heads, size] })], { dims: [0, 2, 1, 3] });
  const qh = split(q, seq!, headSize);
  const kt = ctx.op("permute", [split(k, kvSeq!, headSize)], { dims: [0, 1, 3, 2] });
  const vh = split(v, kvSeq!, vHidden! / heads);
  const scale = node.attrs.float("scale", 1 / Math.sqrt(headSize));
  let scores = bin(ctx, "mul", matmulOf(ctx, qh, kt), scalarLike(ctx, scale, q));
  if (node.attrs.int("unidirectional", 0) === 1) {
    const future = new Float32Array(seq! * kvSeq!).map((_, i) => (i % kvSeq! > Math.floor(i / kvSeq!) + kvSeq! - seq! ? -Infinity : 0));
    scores = bin(ctx, "add", scores, ctx.const(future, [seq!, kvSeq!], ctx.dtype(q)));
  }
  const attended = matmulOf(ctx, ctx.op("softmax", [scores], { axis: 3 }), vh);
  ctx.op("reshape", [ctx.op("permute", [attended], { dims: [0, 2, 1, 3] })], { shape: [batch!, seq!, vHidden!] }, output(node));
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
  const angle = (cache: string) => ctx.op("unsqueeze", [ctx.op("gather", [cache, castTo(ctx, positions, "int32")], { axis: 0 })], { axes: [2] });
  const [cos, sin] = [angle(cosCache), angle(input(ctx, node, 3))];
  const part = (from: number, to: number) => ctx.op("slice", [heads4], { starts: [from], ends: [to], axes: [3] });
  let rotated: string;
  if (node.attrs.int("interleaved", 0) === 1) {
    const pairs = ctx.op("reshape", [part(0, rotary)], { shape: [dims[0]!, seq, heads, half, 2] });
    const pick = (k: number) => ctx.op("squeeze", [ctx.op("slice", [pairs], { starts: [k], ends: [k + 1], axes: [4] })], { axes: [4] });
    const [x1, x2] = [pick(0), pick(1)];
    const a = bin(ctx, "sub", bin(ctx, "mul", x1, cos), bin(ctx, "mul", x2, sin));
    const b = bin(ctx, "add", bin(ctx, "mul", x2, cos), bin(ctx, "mul", x1, sin));
    const stacked = ctx.op("concat", [ctx.op("unsqueeze", [a], { axes: [4] }), ctx.op("unsqueeze", [b], { axes: [4] })], { axis: 4 });
    rotated = ctx.op("reshape", [stacked], { shape: [dims[0]!, seq, heads, rotary] });
  } else {
    const [x1, x2] = [part(0, half), part(half, rotary)];
    rotated = ctx.op(
      "concat",
      [bin(ctx, "sub", bin(ctx, "mul", x1, cos), bin(ctx, "mul", x2, sin)), bin(ctx, "add", bin(ctx, "mul", x2, cos), bin(ctx, "mul", x1, sin))],
      { axis: 3 },
    );
  }
  const full = rotary < headSize ? ctx.op("concat", [rotated, part(rotary, headSize)], { axis: 3 }) : rotated;
  if (rank === 3) ctx.op("reshape", [full], { shape: dims }, output(node));
  else ctx.op("permute", [full], { dims: [0, 2, 1, 3] }, output(node));
};

export const ATTENTION_IMPORTERS: Record<string, OpImporter> = {
  MultiHeadAttention: multiHeadAttention,
  RotaryEmbedding: rotaryEmbedding,
};
