import { DTypeError, formatShape, PolychipError, ShapeError } from "@polychip/hal";
import { add, where } from "../../ops/basic.ts";
import { full, zeros } from "../../ops/creation.ts";
import { linear } from "../../ops/linalg.ts";
import { mean } from "../../ops/reduce.ts";
import { permute, reshape, slice, transpose } from "../../ops/shape.ts";
import { matmul } from "../../ops/linalg.ts";
import { attentionWeights } from "../../ops/attention.ts";
import type { Tensor } from "../../tensor.ts";
import { xavierUniform_, zeros_ } from "../init-inplace.ts";
import { uniform } from "../init.ts";
import { Module } from "../module.ts";
import { parameter } from "../parameter.ts";
import { Linear } from "./linear.ts";

export interface MultiheadAttentionConfig {
  dropout?: number;
  bias?: boolean;
  /** Inputs are [N, L, E] instead of torch's default [L, N, E]. */
  batchFirst?: boolean;
  device?: string;
}

export interface MultiheadAttentionCall {
  /** [N, S], true (or -inf) where a key is padding and must be ignored. */
  keyPaddingMask?: Tensor;
  /** [L, S] or [N*heads, L, S]: true where attention is NOT allowed (torch's MHA rule), or float added to the scores. */
  attnMask?: Tensor;
  /** Adds a causal mask (query i sees keys j <= i). */
  isCausal?: boolean;
  /** Return the attention weights too (default true, as torch). */
  needWeights?: boolean;
  averageAttnWeights?: boolean;
}

/** A mask in MHA's convention (bool true = blocked) as float scores to add: -inf where blocked. */
function additive(where_: string, m: Tensor): Tensor {
  if (m.dtype === "bool") return where(m, -Infinity, zeros([], { device: m.device }));
  if (m.dtype === "float32" || m.dtype === "float16") return m;
  throw new DTypeError(`MultiheadAttention: ${where_} must be bool or float, got ${m.dtype}${formatShape(m.shape)}`);
}

/**
 * torch.nn.MultiheadAttention (equal query, key and value dims): packed input projection
 * inProjWeight [3E, E], heads of E / numHeads, outProj; same initialisation and masks as torch.
 */
export class MultiheadAttention extends Module {
  inProjWeight: Tensor;
  inProjBias: Tensor | undefined;
  outProj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    config: MultiheadAttentionConfig = {},
  ) {
    super();
    if (!Number.isInteger(numHeads) || numHeads <= 0 || embedDim % numHeads !== 0) {
      throw new PolychipError(`MultiheadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    }
    this.headDim = embedDim / numHeads;
    this.dropout = config.dropout ?? 0;
    this.batchFirst = config.batchFirst ?? false;
    const device = config.device;
    this.inProjWeight = parameter(xavierUniform_(uniform([3 * embedDim, embedDim], 1, device)));
    this.inProjBias = config.bias === false ? undefined : parameter(full([3 * embedDim], 0, { device }));
    this.outProj = new Linear(embedDim, embedDim, { bias: config.bias !== false, device });
    if (this.outProj.bias) zeros_(this.outProj.bias);
  }

  /** The attention output only (as torch's `mha(q, k, v)[0]`); key and value default to the query (self-attention). */
  forward(query: Tensor, key?: Tensor, value?: Tensor): Tensor {
    return this.attend(query, key ?? query, value ?? key ?? query, { needWeights: false }).output;
  }

  /** torch's full forward: the output and, when needWeights, the attention weights [N, L, S] (per head [N, H, L, S] without averaging). */
  attend(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionCall = {}): { output: Tensor; weights?: Tensor } {
    const e = this.embedDim;
    for (const [name, t] of [
      ["query", query],
      ["key", key],
      ["value", value],
    ] as const) {
      if (t.ndim !== 3 || t.shape[2] !== e)
        throw new ShapeError(`MultiheadAttention: ${name} must be ${this.batchFirst ? "[N, L, E]" : "[L, N, E]"} with E = ${e}, got ${formatShape(t.shape)}`);
    }
    const [q0, k0, v0] = this.batchFirst ? [query, key, value] : ([query, key, value].map((t) => transpose(t, 0, 1)) as [Tensor, Tensor, Tensor]);
    const [n, l] = q0.shape as [number, number];
    const s = k0.shape[1]!;
    const h = this.numHeads;
    const project = (x: Tensor, part: number) => {
      const w = slice(this.inProjWeight, 0, part * e, (part + 1) * e);
      const b = this.inProjBias ? slice(this.inProjBias, 0, part * e, (part + 1) * e) : undefined;
      const y = linear(x, w, b);
      return permute(reshape(y, [n, x.shape[1]!, h, this.headDim]), [0, 2, 1, 3]); // [N, H, len, D]
    };
    const [q, k, v] = [project(q0, 0), project(k0, 1), project(v0, 2)];
    let mask: Tensor | undefined;
    if (opts.attnMask) {
      const m = opts.attnMask;
      const ok = (m.ndim === 2 && m.shape[0] === l && m.shape[1] === s) || (m.ndim === 3 && m.shape[0] === n * h && m.shape[1] === l && m.shape[2] === s);
      if (!ok) throw new ShapeError(`MultiheadAttention: attnMask must be [${l}, ${s}] or [${n * h}, ${l}, ${s}], got ${formatShape(m.shape)}`);
      mask = additive("attnMask", m.ndim === 3 ? reshape(m, [n, h, l, s]) : m);
    }
    if (opts.keyPaddingMask) {
      const m = opts.keyPaddingMask;
      if (m.ndim !== 2 || m.shape[0] !== n || m.shape[1] !== s)
        throw new ShapeError(`MultiheadAttention: keyPaddingMask must be [${n}, ${s}], got ${formatShape(m.shape)}`);
      const pad = reshape(additive("keyPaddingMask", m), [n, 1, 1, s]);
      mask = mask ? add(mask, pad) : pad;
    }
    const weights = attentionWeights(q, k, { attnMask: mask, isCausal: opts.isCausal, dropoutP: this.dropout, training: this.training });
    const heads = matmul(weights, v); // [N, H, L, D]
    const merged = reshape(permute(heads, [0, 2, 1, 3]), [n, l, e]);
    const out = this.outProj.call(merged);
    const output = this.batchFirst ? out : transpose(out, 0, 1);
    if (opts.needWeights === false) return { output };
    return { output, weights: opts.averageAttnWeights === false ? weights : mean(weights, 1) };
  }
}
