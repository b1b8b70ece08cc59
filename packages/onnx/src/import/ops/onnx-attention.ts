import { ShapeError, UnsupportedOpError, type DType } from "@polychip/hal";
import { dtypeForOnnx } from "../../tensor.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { concatSequence, headsFirst, headsLast, repeatHeads } from "./attention-core.ts";
import { bin, castTo, input, optionalInput, output, scalarLike, un, type OpImporter } from "./helpers.ts";
import { matmulOf } from "./matmul.ts";

/** Q, K, V heads-first ([B, heads, len, size]) and what the output's layout needs. */
interface Heads {
  readonly q: string;
  readonly k: string;
  readonly v: string;
  readonly batch: number;
  readonly seq: number;
  readonly qHeads: number;
  /** The input was 3-D [B, S, heads·size]: the output goes back to it. */
  readonly packed: boolean;
}

function headsOf(ctx: ImportContext, node: OnnxNode): Heads {
  const [q, k, v] = [0, 1, 2].map((i) => input(ctx, node, i)) as [string, string, string];
  const qDims = ctx.shape(q, "Attention");
  const rank = qDims.length;
  if (ctx.rank(k) !== rank || ctx.rank(v) !== rank || (rank !== 3 && rank !== 4))
    throw new ShapeError(`${ctx.where()}: Q, K and V must all be 3-D or all 4-D, got ranks ${rank}, ${ctx.rank(k)}, ${ctx.rank(v)}`);
  if (rank === 4) return { q, k, v, batch: qDims[0]!, seq: qDims[2]!, qHeads: qDims[1]!, packed: false };
  const qHeads = node.attrs.int("q_num_heads", 0)!;
  const kvHeads = node.attrs.int("kv_num_heads", 0)!;
  const [kDims, vDims] = [ctx.shape(k, "Attention"), ctx.shape(v, "Attention")];
  if (!(qHeads > 0 && kvHeads > 0) || qDims[2]! % qHeads || kDims[2]! % kvHeads || vDims[2]! % kvHeads)
    throw new ShapeError(`${ctx.where()}: 3-D inputs need q_num_heads and kv_num_heads dividing their hidden sizes (Q [${qDims}], K [${kDims}], V [${vDims}])`);
  const [batch, seq] = qDims as [number, number];
  return {
    q: headsFirst(ctx, q, batch, seq, qHeads, qDims[2]! / qHeads),
    k: headsFirst(ctx, k, batch, kDims[1]!, kvHeads, kDims[2]! / kvHeads),
    v: headsFirst(ctx, v, batch, vDims[1]!, kvHeads, vDims[2]! / kvHeads),
    batch,
    seq,
    qHeads,
    packed: true,
  };
}

/** attn_mask as an additive bias (a bool mask keeps true), its last dim padded with −∞ up to the total key length. */
function maskBias(ctx: ImportContext, mask: string, total: number, dtype: DType): string {
  const bias = ctx.dtype(mask) === "bool" ? ctx.op("where", [mask, ctx.scalar(0, dtype), ctx.scalar(-Infinity, dtype)]) : castTo(ctx, mask, dtype);
  const dims = ctx.shape(bias, "Attention's attn_mask");
  const short = total - dims.at(-1)!;
  if (short < 0) throw new ShapeError(`${ctx.where()}: attn_mask [${dims}] has more keys than the ${total} attended`);
  if (short === 0) return bias;
  const pads = [...dims.map(() => 0), ...dims.map((_, i) => (i === dims.length - 1 ? short : 0))];
  return ctx.op("pad", [bias], { pads, mode: "constant", value: -Infinity });
}

/**
 * The additive bias [.., S, L] of the scores: attn_mask, the causal mask (bottom-right: query i
 * sees key j ≤ i + offset, offset = past length, or nonpad_kv_seqlen − S per batch without a
 * past), and the keys past nonpad_kv_seqlen. Undefined when nothing is masked.
 */
function scoreBias(ctx: ImportContext, node: OnnxNode, h: Heads, past: number, total: number, dtype: DType): string | undefined {
  const parts: string[] = [];
  const mask = optionalInput(node, 3);
  if (mask) parts.push(maskBias(ctx, mask, total, dtype));
  const nonpad = node.opset >= 24 ? optionalInput(node, 6) : undefined;
  const lengths = nonpad ? ctx.op("reshape", [castTo(ctx, nonpad, "int32")], { shape: [h.batch, 1, 1, 1] }) : undefined;
  const blocked = (allowed: string) => ctx.op("where", [allowed, ctx.scalar(0, dtype), ctx.scalar(-Infinity, dtype)]);
  if (node.attrs.int("is_causal", 0) === 1) {
    const reach = ctx.const(
      Array.from({ length: h.seq * total }, (_, i) => (i % total) - Math.floor(i / total)),
      [h.seq, total],
      "int32",
    );
    const offset = lengths && past === 0 ? bin(ctx, "sub", lengths, ctx.scalar(h.seq, "int32")) : ctx.scalar(past, "int32");
    parts.push(blocked(bin(ctx, "lessEqual", reach, offset)));
  }
  if (lengths) {
    const keys = ctx.const(
      Array.from({ length: total }, (_, i) => i),
      [1, 1, 1, total],
      "int32",
    );
    parts.push(blocked(bin(ctx, "less", keys, lengths)));
  }
  return parts.length ? parts.reduce((a, b) => bin(ctx, "add", a, b)) : undefined;
}

/**
 * ai.onnx Attention (opsets 23 and 24, with 24's errata semantics for both): softmax(Q·Kᵀ·scale,
 * softcapped, + bias)·V on 3-D or 4-D inputs with grouped KV heads, an internal past/present
 * cache, and (24) nonpad_kv_seqlen for an external cache. Q and K are each scaled by
 * sqrt(scale), as the spec does against overflow. A query row whose bias masks every key
 * gives zeros, and qk_matmul_output exposes the scores at the stage qk_matmul_output_mode names.
 */
const attention: OpImporter = (ctx, node) => {
  const h = headsOf(ctx, node);
  const dtype = ctx.dtype(h.q);
  const [, , , headSize] = ctx.shape(h.q, "Attention");
  const pastKey = optionalInput(node, 4);
  const pastValue = optionalInput(node, 5);
  if (!pastKey !== !pastValue) throw new ShapeError(`${ctx.where()}: past_key and past_value must be given together`);
  const k = pastKey ? concatSequence(ctx, [pastKey, h.k]) : h.k;
  const v = pastValue ? concatSequence(ctx, [pastValue, h.v]) : h.v;
  ctx.bind(output(node, 1), k);
  ctx.bind(output(node, 2), v);
  const kvHeads = ctx.shape(k, "Attention")[1]!;
  if (h.qHeads % kvHeads !== 0) throw new ShapeError(`${ctx.where()}: ${h.qHeads} query heads do not share ${kvHeads} key/value heads evenly`);
  const group = h.qHeads / kvHeads;
  const total = ctx.shape(k, "Attention")[2]!;
  const past = pastKey ? ctx.shape(pastKey, "Attention's past_key")[2]! : 0;

  const rootScale = scalarLike(ctx, Math.sqrt(node.attrs.float("scale", 1 / Math.sqrt(headSize!))!), h.q);
  const kt = ctx.op("permute", [repeatHeads(ctx, bin(ctx, "mul", k, rootScale), group)], { dims: [0, 1, 3, 2] });
  const raw = matmulOf(ctx, bin(ctx, "mul", h.q, rootScale), kt);
  const softcap = node.attrs.float("softcap", 0)!;
  const capped = softcap > 0 ? bin(ctx, "mul", un(ctx, "tanh", bin(ctx, "div", raw, scalarLike(ctx, softcap, raw))), scalarLike(ctx, softcap, raw)) : raw;
  const bias = scoreBias(ctx, node, h, past, total, dtype);
  const scores = bias ? bin(ctx, "add", capped, bias) : capped;

  const precisionCode = node.attrs.int("softmax_precision");
  const precision = precisionCode === undefined ? dtype : dtypeForOnnx(precisionCode, `${ctx.where()} softmax_precision`);
  let weights = ctx.op("softmax", [castTo(ctx, scores, precision)], { axis: 3 });
  if (bias) {
    const masked = bin(ctx, "equal", ctx.op("reduceMax", [bias], { axes: [ctx.rank(bias) - 1], keepDims: true }), scalarLike(ctx, -Infinity, bias));
    weights = ctx.op("where", [masked, scalarLike(ctx, 0, weights), weights]);
  }
  const attended = castTo(ctx, matmulOf(ctx, weights, castTo(ctx, repeatHeads(ctx, v, group), precision)), dtype);
  const vHead = ctx.shape(v, "Attention")[3]!;
  if (h.packed) headsLast(ctx, attended, h.batch, h.seq, h.qHeads, vHead, output(node));
  else ctx.bind(output(node), attended);

  const qkOut = output(node, 3);
  if (!qkOut) return;
  const mode = node.attrs.int("qk_matmul_output_mode", 0)!;
  const stages = [raw, capped, scores, weights];
  if (!(mode >= 0 && mode < stages.length)) throw new UnsupportedOpError(`${ctx.where()}: qk_matmul_output_mode ${mode} is not 0, 1, 2 or 3`);
  ctx.bind(qkOut, castTo(ctx, stages[mode]!, dtype));
};

export const ONNX_ATTENTION_IMPORTERS: Readonly<Record<string, OpImporter>> = { Attention: attention };
