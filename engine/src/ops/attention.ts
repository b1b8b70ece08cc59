import { DTypeError, formatShape, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { add, mul, where } from "./basic.ts";
import { matmul } from "./linalg.ts";
import { triangleMask } from "./masking.ts";
import { dropout, softmax } from "./nn-functional.ts";
import { transpose } from "./shape.ts";
import { autocasting, inFloat16 } from "./autocast.ts";

export interface AttentionOptions {
  /** bool: true where a query may attend to a key (torch 2's rule); or float, added to the scores. Broadcasts to [..., L, S]. */
  attnMask?: Tensor;
  dropoutP?: number;
  /** Adds a causal mask: query i sees keys j <= i (aligned to the top left, as torch). */
  isCausal?: boolean;
  /** Defaults to 1/sqrt(E). */
  scale?: number;
  /** Whether dropout is active (off at inference). */
  training?: boolean;
}

/** The attention probabilities softmax(q k^T * scale + mask) [..., L, S]. */
export function attentionWeights(q: Tensor, k: Tensor, opts: AttentionOptions = {}): Tensor {
  if (q.ndim < 2 || k.ndim < 2 || q.shape[q.ndim - 1] !== k.shape[k.ndim - 1]) {
    throw new ShapeError(`scaledDotProductAttention: query ${formatShape(q.shape)} and key ${formatShape(k.shape)} must end in the same embedding dim`);
  }
  const e = q.shape[q.ndim - 1]!;
  let scores = mul(matmul(q, transpose(k, -2, -1)), opts.scale ?? 1 / Math.sqrt(e));
  const [l, s] = scores.shape.slice(-2) as [number, number];
  if (opts.isCausal) scores = where(triangleMask(l, s, 0, false, q.device), scores, -Infinity);
  const m = opts.attnMask;
  if (m) {
    if (m.dtype === "bool") scores = where(m, scores, -Infinity);
    else if (m.dtype === "float32" || m.dtype === "float16") scores = add(scores, m);
    else throw new DTypeError(`scaledDotProductAttention: attnMask must be bool or float, got ${m.dtype}${formatShape(m.shape)}`);
  }
  const p = softmax(scores, -1);
  return opts.dropoutP ? dropout(p, opts.dropoutP, opts.training ?? true) : p;
}

/**
 * softmax(q k^T / sqrt(E) + mask) v over q [..., L, E], k [..., S, E], v [..., S, Ev], as torch 2's
 * F.scaled_dot_product_attention; a query row whose keys are all masked gives NaN, as torch.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  if (autocasting()) return inFloat16("matmul", scaledDotProductAttention, q, k, v, opts);
  if (v.shape[v.ndim - 2] !== k.shape[k.ndim - 2])
    throw new ShapeError(`scaledDotProductAttention: key ${formatShape(k.shape)} and value ${formatShape(v.shape)} need the same sequence length`);
  return matmul(attentionWeights(q, k, opts), v);
}
