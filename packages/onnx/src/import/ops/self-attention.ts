import { FormatError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import { attend, concatSequence, headsFirst, headsLast } from "./attention-core.ts";
import { attentionMask } from "./attention-mask.ts";
import { bin, input, optionalInput, output, type OpImporter } from "./helpers.ts";
import { matmulOf } from "./matmul.ts";

/**
 * com.microsoft Attention (onnxruntime's ContribOperators.md), the fused self-attention of
 * optimised BERT/GPT-2 exports: Q|K|V = input·weights (+ bias), split by qkv_hidden_sizes (three
 * equal parts by default), then softmax(Q·Kᵀ·scale + mask + attention_bias)·V per head. past
 * [2, B, heads, P, head] holds the previous keys and values; present is past and the new ones.
 * mask_index: (B) key lengths, (B, T) or (B, S, T) with 0 for masked; unidirectional masks the
 * future; masked scores are mask_filter_value (−10000 by default).
 */
export const selfAttention: OpImporter = (ctx, node) => {
  if (optionalInput(node, 6)) throw new UnsupportedOpError(`${ctx.where()}: past_sequence_length (a shared past/present buffer) is not supported`);
  if (node.attrs.int("past_present_share_buffer", 0) !== 0) throw new UnsupportedOpError(`${ctx.where()}: past_present_share_buffer is not supported`);
  if (node.attrs.int("do_rotary", 0) !== 0) throw new UnsupportedOpError(`${ctx.where()}: do_rotary is not supported`);
  const heads = node.attrs.int("num_heads");
  if (!heads || heads < 1) throw new FormatError(`${ctx.where()}: num_heads is required`);
  const x = input(ctx, node, 0);
  if (ctx.rank(x) !== 3) throw new ShapeError(`${ctx.where()}: input must be 3-D [batch, sequence, hidden], got rank ${ctx.rank(x)}`);
  const [batch, seq] = ctx.shape(x, "Attention");
  const width = ctx.shape(input(ctx, node, 1), "Attention's weights")[1]!;
  const sizes = node.attrs.ints("qkv_hidden_sizes", [width / 3, width / 3, width / 3]);
  const [hidden, kHidden, vHidden] = sizes as [number, number, number];
  if (sizes.length !== 3 || hidden + kHidden + vHidden !== width || hidden !== kHidden)
    throw new ShapeError(`${ctx.where()}: qkv_hidden_sizes [${sizes}] must be three sizes (Q and K equal) adding up to the weights' ${width} columns`);
  if (hidden % heads !== 0 || vHidden % heads !== 0)
    throw new ShapeError(`${ctx.where()}: hidden sizes ${hidden} and ${vHidden} do not divide into ${heads} heads`);
  const bias = optionalInput(node, 2);
  let qkv = matmulOf(ctx, x, input(ctx, node, 1));
  if (bias) qkv = bin(ctx, "add", qkv, bias);
  const part = (from: number, size: number) => ctx.op("slice", [qkv], { starts: [from], ends: [from + size], axes: [2] });
  const [headSize, vHeadSize] = [hidden / heads, vHidden / heads];
  let kh = headsFirst(ctx, part(hidden, hidden), batch!, seq!, heads, headSize);
  let vh = headsFirst(ctx, part(2 * hidden, vHidden), batch!, seq!, heads, vHeadSize);
  const past = optionalInput(node, 4);
  if (past) {
    const dims = ctx.shape(past, "Attention's past");
    if (dims.length !== 5 || dims[0] !== 2 || dims[1] !== batch || dims[2] !== heads || dims[4] !== headSize || headSize !== vHeadSize)
      throw new ShapeError(
        `${ctx.where()}: past [${dims}] must be [2, batch, heads, past, head] = [2, ${batch}, ${heads}, P, ${headSize}] with equal Q, K and V sizes`,
      );
    const half = (i: number) => ctx.op("squeeze", [ctx.op("slice", [past], { starts: [i], ends: [i + 1], axes: [0] })], { axes: [0] });
    kh = concatSequence(ctx, [half(0), kh]);
    vh = concatSequence(ctx, [half(1), vh]);
  }
  const present = output(node, 1);
  if (present) ctx.op("concat", [ctx.op("unsqueeze", [kh], { axes: [0] }), ctx.op("unsqueeze", [vh], { axes: [0] })], { axis: 0 }, present);
  const total = ctx.shape(kh, "Attention")[2]!;
  const mask = attentionMask(ctx, node, optionalInput(node, 3), { batch: batch!, seq: seq!, total }, ctx.dtype(x));
  const attentionBias = optionalInput(node, 5);
  const attended = attend(ctx, headsFirst(ctx, part(0, hidden), batch!, seq!, heads, headSize), kh, vh, {
    scale: node.attrs.float("scale", 1 / Math.sqrt(headSize)),
    bias: [...(mask ? [mask] : []), ...(attentionBias ? [attentionBias] : [])],
  });
  headsLast(ctx, attended, batch!, seq!, heads, vHeadSize, output(node));
};
