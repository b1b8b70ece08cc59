import { formatShape, normalizeAxis, ShapeError, type Attrs } from "@polychip/hal";
import { needsGrad } from "../tape/node.ts";
import { noGrad } from "../tape/grad-mode.ts";
import type { Tensor } from "../tensor.ts";
import { add, cast, div, ge, mul, run, sqrt, sub } from "./basic.ts";
import { full, rand } from "./creation.ts";
import { mean } from "./reduce.ts";
import { reshape } from "./shape.ts";
import { autocasting, inFloat16, inFloat32 } from "./autocast.ts";
import { recordedBatchNormTraining, type BatchStatistics } from "./batch-norm-training.ts";

type Pair = number | [number, number];
const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === "number" ? [v, v] : v);

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair | [number, number, number, number];
  dilation?: Pair;
  groups?: number;
}

function padsOf(p: Conv2dOptions["padding"]): number[] {
  if (p === undefined) return [0, 0, 0, 0];
  if (typeof p === "number") return [p, p, p, p];
  return p.length === 2 ? [p[0], p[1], p[0], p[1]] : [...p];
}

/** 2-D convolution on NCHW input, weight [OC, C/groups, KH, KW]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, opts: Conv2dOptions = {}): Tensor {
  if (autocasting()) return inFloat16("conv2d", conv2d, x, weight, bias, opts);
  const attrs: Attrs = { strides: pair(opts.stride, 1), pads: padsOf(opts.padding), dilations: pair(opts.dilation, 1), groups: opts.groups ?? 1 };
  return run("conv2d", bias ? [x, weight, bias] : [x, weight], attrs);
}

export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair | [number, number, number, number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

export function maxPool2d(x: Tensor, kernel: Pair, opts: Pool2dOptions = {}): Tensor {
  const k = pair(kernel, 1);
  const attrs: Attrs = { kernel: k, strides: pair(opts.stride, 0)[0] ? pair(opts.stride, 0) : k, pads: padsOf(opts.padding), ceilMode: !!opts.ceilMode };
  return run("maxPool2d", [x], attrs);
}

export function avgPool2d(x: Tensor, kernel: Pair, opts: Pool2dOptions = {}): Tensor {
  const k = pair(kernel, 1);
  const attrs: Attrs = {
    kernel: k,
    strides: pair(opts.stride, 0)[0] ? pair(opts.stride, 0) : k,
    pads: padsOf(opts.padding),
    ceilMode: !!opts.ceilMode,
    countIncludePad: opts.countIncludePad ?? true,
  };
  return run("avgPool2d", [x], attrs);
}

export function softmax(x: Tensor, dim = -1): Tensor {
  if (autocasting()) return inFloat32(softmax, x, dim);
  const axis = normalizeAxis("softmax", dim, x.ndim);
  return run("softmax", [x], { axis });
}

/** log(1 + exp(beta * x)) / beta, the smooth ReLU (torch.nn.functional.softplus without its threshold, which float32 cannot see). */
export function softplus(x: Tensor, beta = 1): Tensor {
  if (autocasting()) return inFloat32(softplus, x, beta);
  return run("softplus", [x], { beta });
}

export function logSoftmax(x: Tensor, dim = -1): Tensor {
  if (autocasting()) return inFloat32(logSoftmax, x, dim);
  const axis = normalizeAxis("logSoftmax", dim, x.ndim);
  return run("logSoftmax", [x], { axis });
}

/** Layer norm over the trailing dims given by `normalizedShape`. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  if (autocasting()) return inFloat32(layerNorm, x, normalizedShape, weight, bias, eps);
  const axis = x.ndim - normalizedShape.length;
  if (axis < 0 || normalizedShape.some((d, i) => x.shape[axis + i] !== d)) {
    throw new ShapeError(`layerNorm: normalized shape ${formatShape(normalizedShape)} does not match the end of input ${formatShape(x.shape)}`);
  }
  const inputs = [x, weight, bias].filter((t): t is Tensor => !!t);
  if (!needsGrad(inputs)) {
    // The fused HAL op (or its decomposition) when no gradient is needed.
    const w = weight ?? (bias ? full(normalizedShape, 1, { dtype: x.dtype, device: x.device }) : undefined);
    const args = w ? (bias ? [x, w, bias] : [x, w]) : [x];
    return run("layerNorm", args, { axis, epsilon: eps });
  }
  const axes = [...Array(normalizedShape.length).keys()].map((i) => axis + i);
  const mu = mean(x, axes, true);
  const centered = sub(x, mu);
  const v = mean(mul(centered, centered), axes, true);
  let y = div(centered, sqrt(add(v, eps)));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/**
 * Batch norm over channel dim 1. Training: batch statistics, running stats updated in place
 * (momentum, unbiased variance, as PyTorch); inference: running statistics through the HAL op.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | undefined,
  runningVar: Tensor | undefined,
  weight: Tensor | undefined,
  bias: Tensor | undefined,
  training: boolean,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  const c = x.shape[1]!;
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  if (!training) {
    if (!runningMean || !runningVar) throw new ShapeError("batchNorm: inference needs running mean and variance");
    const one = weight ?? full([c], 1, { dtype: x.dtype, device: x.device });
    const zero = bias ?? full([c], 0, { dtype: x.dtype, device: x.device });
    if (!needsGrad([x, one, zero])) return run("batchNorm", [x, one, zero, runningMean, runningVar], { epsilon: eps });
    const y = div(sub(x, reshape(runningMean, bshape)), sqrt(add(reshape(runningVar, bshape), eps)));
    return add(mul(y, reshape(one, bshape)), reshape(zero, bshape));
  }
  const { y, mean: mu, variance: v } = recordedBatchNormTraining(x, weight, bias, eps) ?? batchStatistics(x, weight, bias, eps);
  if (runningMean && runningVar) {
    noGrad(() => {
      const n = x.size / c;
      const newMean = add(mul(runningMean, 1 - momentum), mul(reshape(mu, [c]), momentum));
      const newVar = add(mul(runningVar, 1 - momentum), mul(reshape(v, [c]), (momentum * n) / Math.max(n - 1, 1)));
      runningMean.assign(newMean);
      runningVar.assign(newVar);
      newMean.dispose();
      newVar.dispose();
    });
  }
  return y;
}

/** Training batch norm in primitive ops (what eager code runs): y, the batch mean and biased variance. */
function batchStatistics(x: Tensor, weight: Tensor | undefined, bias: Tensor | undefined, eps: number): BatchStatistics {
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const axes = [...Array(x.ndim).keys()].filter((i) => i !== 1);
  const mu = mean(x, axes, true);
  const centered = sub(x, mu);
  const v = mean(mul(centered, centered), axes, true);
  let y = div(centered, sqrt(add(v, eps)));
  if (weight) y = mul(y, reshape(weight, bshape));
  if (bias) y = add(y, reshape(bias, bshape));
  return { y, mean: mu, variance: v };
}

/** Zeroes elements with probability p during training and rescales the rest by 1/(1-p). */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (!training || p === 0) return mul(x, 1);
  if (p < 0 || p >= 1) throw new ShapeError(`dropout: p must be in [0, 1), got ${p}`);
  const keepMask = cast(ge(rand(x.shape, { device: x.device }), p), x.dtype);
  return mul(x, mul(keepMask, 1 / (1 - p)));
}
