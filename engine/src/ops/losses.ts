import { DTypeError, formatShape, isFloat, PolychipError, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { abs, add, cast, div, eq, exp, log, logicalNot, lt, maximum, mul, neg, relu, sub, where } from "./basic.ts";
import { gather, gatherElements } from "./indexing.ts";
import { logSoftmax } from "./nn-functional.ts";
import { mean, sum } from "./reduce.ts";
import { reshape, squeeze, unsqueeze } from "./shape.ts";
import { autocasting, inFloat32, refuseUnderAutocast } from "./autocast.ts";
import { checkReduction, reduce, sameShape, type Reduction } from "./loss-reduction.ts";

export type { Reduction } from "./loss-reduction.ts";

export interface ClassLossOptions {
  /** A weight per class, [C]. */
  weight?: Tensor;
  /** Targets equal to this contribute nothing, and do not count in the mean (default -100, as torch). */
  ignoreIndex?: number;
  reduction?: Reduction;
}

export interface CrossEntropyOptions extends ClassLossOptions {
  labelSmoothing?: number;
}

/** Brings an unbatched input [C, ...] to [1, C, ...] (and its target), as torch accepts both. */
function batched(op: string, input: Tensor, target: Tensor, classTargets: boolean): [Tensor, Tensor, boolean] {
  if (input.ndim === 0) throw new ShapeError(`${op}: input must have a class dim, got a scalar`);
  const unbatched = classTargets ? target.ndim === input.ndim - 1 && input.ndim === 1 : input.ndim === 1;
  return unbatched ? [unsqueeze(input, 0), unsqueeze(target, 0), true] : [input, target, false];
}

function classIndices(op: string, input: Tensor, target: Tensor): Tensor {
  if (isFloat(target.dtype) || target.dtype === "bool")
    throw new DTypeError(`${op}: class targets must be integers, got ${target.dtype}${formatShape(target.shape)}`);
  const expected = [input.shape[0]!, ...input.shape.slice(2)];
  if (formatShape(target.shape) !== formatShape(expected)) {
    throw new ShapeError(
      `${op}: targets must be ${formatShape(expected)} for input ${input.dtype}${formatShape(input.shape)} (classes on dim 1), got ${formatShape(target.shape)}`,
    );
  }
  return target.dtype === "int32" ? target : cast(target, "int32");
}

function checkWeight(op: string, weight: Tensor | undefined, classes: number): void {
  if (weight && (weight.ndim !== 1 || weight.shape[0] !== classes))
    throw new ShapeError(`${op}: weight must be [${classes}] (one per class), got ${formatShape(weight.shape)}`);
}

/**
 * Negative log-likelihood of log-probabilities [N, C, d1...] (or [C]) at integer targets [N, d1...],
 * as torch.nn.functional.nll_loss: per-class weights, ignoreIndex, and a mean that divides by the
 * summed weights of the targets that count.
 */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: ClassLossOptions = {}): Tensor {
  if (autocasting()) return inFloat32(nllLoss, logProbs, target, opts);
  const [input, tgt, unbatched] = batched("nllLoss", logProbs, target, true);
  const idx = classIndices("nllLoss", input, tgt);
  checkWeight("nllLoss", opts.weight, input.shape[1]!);
  const ignore = eq(idx, opts.ignoreIndex ?? -100);
  const safe = where(ignore, 0, idx);
  const picked = squeeze(gatherElements(input, unsqueeze(safe, 1), 1), 1);
  const keepMask = cast(logicalNot(ignore), input.dtype);
  const w = opts.weight ? mul(gather(opts.weight, safe, 0), keepMask) : keepMask;
  const loss = neg(mul(picked, w));
  const reduction = checkReduction("nllLoss", opts.reduction ?? "mean");
  if (reduction === "none") return unbatched ? squeeze(loss, 0) : loss;
  return reduction === "sum" ? sum(loss) : div(sum(loss), sum(w));
}

/**
 * torch.nn.functional.cross_entropy on logits [N, C, d1...] (or [C]) with integer targets
 * [N, d1...] or class probabilities shaped like the logits; weight, ignoreIndex (integer targets
 * only), reduction and labelSmoothing as torch.
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  if (autocasting()) return inFloat32(crossEntropy, logits, target, opts);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new PolychipError(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  const probabilities = isFloat(target.dtype);
  const [input, tgt, unbatched] = batched("crossEntropy", logits, target, !probabilities);
  const c = input.shape[1]!;
  checkWeight("crossEntropy", opts.weight, c);
  const logp = logSoftmax(input, 1);
  const wShape = input.shape.map((d, i) => (i === 1 ? d : 1));
  const weighted = opts.weight ? mul(logp, reshape(opts.weight, wShape)) : logp;
  const reduction = checkReduction("crossEntropy", opts.reduction ?? "mean");
  const unbatch = (t: Tensor) => (unbatched && reduction === "none" ? squeeze(t, 0) : t);
  if (probabilities) {
    if (formatShape(tgt.shape) !== formatShape(input.shape))
      throw new ShapeError(`crossEntropy: probability targets must match logits ${formatShape(input.shape)}, got ${formatShape(tgt.shape)}`);
    if (opts.ignoreIndex !== undefined) throw new PolychipError("crossEntropy: ignoreIndex applies to integer class targets, not to probability targets");
    const smoothed = eps ? add(mul(tgt, 1 - eps), eps / c) : tgt;
    const loss = neg(sum(mul(weighted, smoothed), 1));
    if (reduction === "none") return unbatch(loss);
    return reduction === "sum" ? sum(loss) : div(sum(loss), input.size / c); // torch: the mean over every position, weights or not
  }
  const idx = classIndices("crossEntropy", input, tgt);
  const nll = nllLoss(logp, idx, opts);
  if (!eps) return unbatch(nll);
  const ignore = eq(idx, opts.ignoreIndex ?? -100);
  const smooth = where(ignore, 0, neg(sum(weighted, 1)));
  let smoothReduced: Tensor;
  if (reduction === "none") smoothReduced = smooth;
  else if (reduction === "sum") smoothReduced = sum(smooth);
  else {
    const counted = cast(logicalNot(ignore), input.dtype);
    const denom = opts.weight ? sum(mul(gather(opts.weight, where(ignore, 0, idx), 0), counted)) : sum(counted);
    smoothReduced = div(sum(smooth), denom);
  }
  return unbatch(add(mul(nll, 1 - eps), mul(smoothReduced, eps / c)));
}

export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  if (autocasting()) return inFloat32(mseLoss, input, target, opts);
  sameShape("mseLoss", input, target);
  const d = sub(input, target);
  return reduce("mseLoss", mul(d, d), opts.reduction);
}

export function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  if (autocasting()) return inFloat32(l1Loss, input, target, opts);
  sameShape("l1Loss", input, target);
  return reduce("l1Loss", abs(sub(input, target)), opts.reduction);
}

/** 0.5 d²/beta where |d| < beta, else |d| - 0.5 beta (beta = 0 is plain L1), as torch. */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; beta?: number } = {}): Tensor {
  if (autocasting()) return inFloat32(smoothL1Loss, input, target, opts);
  sameShape("smoothL1Loss", input, target);
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) throw new PolychipError(`smoothL1Loss: beta must be >= 0, got ${beta}`);
  const d = abs(sub(input, target));
  const loss = beta === 0 ? d : where(lt(d, beta), div(mul(mul(d, d), 0.5), beta), sub(d, 0.5 * beta));
  return reduce("smoothL1Loss", loss, opts.reduction);
}

/** Binary cross-entropy of probabilities; logs are clamped at -100, as torch. */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: { weight?: Tensor; reduction?: Reduction } = {}): Tensor {
  refuseUnderAutocast("binaryCrossEntropy", "binaryCrossEntropyWithLogits (or nn.BCEWithLogitsLoss) on logits");
  sameShape("binaryCrossEntropy", input, target);
  const logP = maximum(log(input), -100);
  const log1mP = maximum(log(sub(1, input)), -100);
  let loss = neg(add(mul(target, logP), mul(sub(1, target), log1mP)));
  if (opts.weight) loss = mul(loss, opts.weight);
  return reduce("binaryCrossEntropy", loss, opts.reduction);
}

/** The stable form (1 - t) x + (1 + (pw - 1) t)(log(1 + e^-|x|) + max(-x, 0)), with torch's weight and posWeight. */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  target: Tensor,
  opts: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {},
): Tensor {
  if (autocasting()) return inFloat32(binaryCrossEntropyWithLogits, logits, target, opts);
  sameShape("binaryCrossEntropyWithLogits", logits, target);
  const softplusNeg = add(log(add(exp(neg(abs(logits))), 1)), relu(neg(logits)));
  const scale = opts.posWeight ? add(mul(sub(opts.posWeight, 1), target), 1) : undefined;
  let loss = add(mul(sub(1, target), logits), scale ? mul(scale, softplusNeg) : softplusNeg);
  if (opts.weight) loss = mul(loss, opts.weight);
  return reduce("binaryCrossEntropyWithLogits", loss, opts.reduction);
}

/**
 * torch.nn.functional.kl_div: input holds log-probabilities, target probabilities (or log-probabilities
 * with logTarget). reduction 'batchmean' divides the sum by the batch size, the mathematically right KL.
 */
export function klDiv(input: Tensor, target: Tensor, opts: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {}): Tensor {
  if (autocasting()) return inFloat32(klDiv, input, target, opts);
  sameShape("klDiv", input, target);
  const loss = opts.logTarget ? mul(exp(target), sub(target, input)) : where(eq(target, 0), 0, mul(target, sub(log(where(eq(target, 0), 1, target)), input)));
  if (opts.reduction === "batchmean") return div(sum(loss), input.ndim ? input.shape[0]! : 1);
  return reduce("klDiv", loss, opts.reduction);
}
