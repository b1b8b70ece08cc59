import { formatShape, PolychipError, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { abs, add, clamp, div, eq, exp, le, log, lt, minimum, mul, ne, neg, sqrt, sub, where } from "./basic.ts";
import { logSigmoid } from "./activations-extra.ts";
import { detach } from "./devices-ops.ts";
import { pairwiseDistance } from "./distance.ts";
import { softplus } from "./nn-functional.ts";
import { sum } from "./reduce.ts";
import { unsqueeze } from "./shape.ts";
import { autocasting, inFloat32 } from "./autocast.ts";
import { checkReduction, reduce, sameShape, type Reduction } from "./loss-reduction.ts";

/** More of torch.nn.functional's losses, each written as torch defines it, in engine ops. */

/** clamp_min(v, 0) with torch's gradient at exactly 0 (clamp passes it; relu would not). */
const clampMin0 = (v: Tensor) => clamp(v, 0);

/** 0.5 d² where |d| < delta, else delta (|d| - 0.5 delta), as torch.nn.functional.huber_loss. */
export function huberLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; delta?: number } = {}): Tensor {
  if (autocasting()) return inFloat32(huberLoss, input, target, opts);
  sameShape("huberLoss", input, target);
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new PolychipError(`huberLoss: delta must be > 0, got ${delta}`);
  const d = abs(sub(input, target));
  return reduce("huberLoss", where(lt(d, delta), mul(mul(d, d), 0.5), mul(sub(d, 0.5 * delta), delta)), opts.reduction);
}

/** torch's 1e-12 added to each squared magnitude in cosine_embedding_loss. */
const COSINE_EMBEDDING_EPS = 1e-12;

/** 1 - cos(x1, x2) where y = 1, max(0, cos - margin) where y = -1 (0 elsewhere); rows of [N, D] or one [D] pair. */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  if (autocasting()) return inFloat32(cosineEmbeddingLoss, x1, x2, target, opts);
  sameShape("cosineEmbeddingLoss", x1, x2);
  if ((x1.ndim !== 1 && x1.ndim !== 2) || target.ndim !== x1.ndim - 1 || (x1.ndim === 2 && target.shape[0] !== x1.shape[0]))
    throw new ShapeError(
      `cosineEmbeddingLoss: expects inputs [N, D] with target [N] (or [D] with a scalar target), got ${formatShape(x1.shape)} and target ${formatShape(target.shape)}`,
    );
  const dim = x1.ndim - 1;
  const dot = sum(mul(x1, x2), dim);
  const mag1 = add(sum(mul(x1, x1), dim), COSINE_EMBEDDING_EPS);
  const mag2 = add(sum(mul(x2, x2), dim), COSINE_EMBEDDING_EPS);
  const cos = div(dot, sqrt(mul(mag1, mag2)));
  const pos = where(eq(target, 1), sub(1, cos), 0);
  const negative = where(eq(target, -1), clampMin0(sub(cos, opts.margin ?? 0)), 0);
  return reduce("cosineEmbeddingLoss", add(pos, negative), opts.reduction);
}

/** max(0, -y (x1 - x2) + margin), inputs broadcast, as torch.nn.functional.margin_ranking_loss. */
export function marginRankingLoss(x1: Tensor, x2: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  if (autocasting()) return inFloat32(marginRankingLoss, x1, x2, target, opts);
  sameShape("marginRankingLoss", x1, x2);
  return reduce("marginRankingLoss", clampMin0(add(mul(neg(target), sub(x1, x2)), opts.margin ?? 0)), opts.reduction);
}

export interface TripletMarginOptions {
  margin?: number;
  p?: number;
  eps?: number;
  /** Use the smaller of d(anchor, negative) and d(positive, negative) (the distance swap). */
  swap?: boolean;
  reduction?: Reduction;
}

/** max(0, margin + d(anchor, positive) - d(anchor, negative)) with torch's pairwise distance. */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, opts: TripletMarginOptions = {}): Tensor {
  if (autocasting()) return inFloat32(tripletMarginLoss, anchor, positive, negative, opts);
  for (const t of [positive, negative]) sameShape("tripletMarginLoss", anchor, t);
  if (anchor.ndim !== 1 && anchor.ndim !== 2) throw new ShapeError(`tripletMarginLoss: expects [N, D] or [D] inputs, got ${formatShape(anchor.shape)}`);
  const [p, eps] = [opts.p ?? 2, opts.eps ?? 1e-6];
  const dPos = pairwiseDistance(anchor, positive, p, eps);
  let dNeg = pairwiseDistance(anchor, negative, p, eps);
  if (opts.swap) dNeg = minimum(dNeg, pairwiseDistance(positive, negative, p, eps));
  return reduce("tripletMarginLoss", clampMin0(sub(add(dPos, opts.margin ?? 1), dNeg)), opts.reduction);
}

/** log(1 + exp(-y x)) for targets ±1. */
export function softMarginLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  if (autocasting()) return inFloat32(softMarginLoss, input, target, opts);
  sameShape("softMarginLoss", input, target);
  return reduce("softMarginLoss", softplus(neg(mul(input, target))), opts.reduction);
}

/** Per-class binary logistic loss averaged over the classes (last dim), then reduced over the batch. */
export function multiLabelSoftMarginLoss(input: Tensor, target: Tensor, opts: { weight?: Tensor; reduction?: Reduction } = {}): Tensor {
  if (autocasting()) return inFloat32(multiLabelSoftMarginLoss, input, target, opts);
  sameShape("multiLabelSoftMarginLoss", input, target);
  if (input.ndim !== 1 && input.ndim !== 2) throw new ShapeError(`multiLabelSoftMarginLoss: expects [N, C] or [C], got ${formatShape(input.shape)}`);
  let loss = neg(add(mul(target, logSigmoid(input)), mul(sub(1, target), logSigmoid(neg(input)))));
  if (opts.weight) loss = mul(loss, opts.weight);
  const classDim = input.ndim - 1;
  const perSample = div(sum(loss, classDim), input.shape[classDim]!);
  return reduce("multiLabelSoftMarginLoss", perSample, opts.reduction);
}

/** x where y = 1, max(0, margin - x) where y = -1 (torch sums both where y is neither). */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  if (autocasting()) return inFloat32(hingeEmbeddingLoss, input, target, opts);
  sameShape("hingeEmbeddingLoss", input, target);
  const marginPart = where(ne(target, 1), clampMin0(sub(opts.margin ?? 1, input)), 0);
  const selfPart = where(ne(target, -1), input, 0);
  return reduce("hingeEmbeddingLoss", add(marginPart, selfPart), opts.reduction);
}

export interface PoissonNLLOptions {
  /** The input is log(rate) (default, torch's log_input=True); else the rate itself. */
  logInput?: boolean;
  /** Add the Stirling approximation of log(target!) where target > 1. */
  full?: boolean;
  eps?: number;
  reduction?: Reduction;
}

/** Negative log-likelihood of a Poisson target, as torch.nn.functional.poisson_nll_loss. */
export function poissonNLLLoss(input: Tensor, target: Tensor, opts: PoissonNLLOptions = {}): Tensor {
  if (autocasting()) return inFloat32(poissonNLLLoss, input, target, opts);
  sameShape("poissonNLLLoss", input, target);
  let loss = (opts.logInput ?? true) ? sub(exp(input), mul(target, input)) : sub(input, mul(target, log(add(input, opts.eps ?? 1e-8))));
  if (opts.full) {
    const small = le(target, 1);
    const t = where(small, 2, target); // keeps log finite in the branch that is masked away
    const stirling = add(sub(mul(t, log(t)), t), mul(log(mul(t, 2 * Math.PI)), 0.5));
    loss = add(loss, where(small, 0, stirling));
  }
  return reduce("poissonNLLLoss", loss, opts.reduction);
}

export interface GaussianNLLOptions {
  /** Add the constant 0.5 log(2π). */
  full?: boolean;
  /** Variances below eps are raised to eps in the forward pass (torch clamps without stopping the gradient). */
  eps?: number;
  reduction?: Reduction;
}

/**
 * 0.5 (log(var) + (input - target)² / var), as torch.nn.functional.gaussian_nll_loss: var is shaped
 * like input, or like input without its last dim, or with a last dim of 1. A negative variance is not
 * detected (torch checks on the host); it is clamped to eps like a small one.
 */
export function gaussianNLLLoss(input: Tensor, target: Tensor, variance: Tensor, opts: GaussianNLLOptions = {}): Tensor {
  if (autocasting()) return inFloat32(gaussianNLLLoss, input, target, variance, opts);
  checkReduction("gaussianNLLLoss", opts.reduction ?? "mean");
  const lead = formatShape(input.shape.slice(0, -1));
  let v = variance;
  if (formatShape(variance.shape) !== formatShape(input.shape)) {
    if (formatShape(variance.shape) === lead) v = unsqueeze(variance, -1);
    else if (!(formatShape(variance.shape.slice(0, -1)) === lead && variance.shape.at(-1) === 1))
      throw new ShapeError(
        `gaussianNLLLoss: var ${formatShape(variance.shape)} must be shaped like input ${formatShape(input.shape)}, like it without the last dim, or with a last dim of 1`,
      );
  }
  const eps = opts.eps ?? 1e-6;
  // torch clamps a clone under no_grad: the forward sees max(var, eps), the gradient flows as if unclamped.
  const clamped = add(v, detach(sub(clamp(v, eps), v)));
  const d = sub(input, target);
  let loss = mul(add(log(clamped), div(mul(d, d), clamped)), 0.5);
  if (opts.full) loss = add(loss, 0.5 * Math.log(2 * Math.PI));
  return reduce("gaussianNLLLoss", loss, opts.reduction);
}
