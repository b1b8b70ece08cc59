import { isFloat, normalizeAxis, PolychipError } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import type { Tensor } from "../tensor.ts";
import { add, cast, div, exp, log, mul, run, sqrt, sub } from "./basic.ts";
import { reshape } from "./shape.ts";
import { autocasting, inFloat32 } from "./autocast.ts";

function axesOf(x: Tensor, dims?: number | number[]): number[] {
  if (dims === undefined) return [...Array(x.ndim).keys()];
  const list = Array.isArray(dims) ? dims : [dims];
  return [...new Set(list.map((d) => normalizeAxis("reduce", d, x.ndim)))].sort((a, b) => a - b);
}

function reduceOp(op: string, x: Tensor, dims: number | number[] | undefined, keepDims: boolean): Tensor {
  const input = x.dtype === "bool" ? cast(x, "int32") : x;
  return run(op, [input], { axes: axesOf(x, dims), keepDims });
}

export function sum(x: Tensor, dims?: number | number[], keepDims = false): Tensor {
  if (autocasting()) return inFloat32(sum, x, dims, keepDims);
  return reduceOp("reduceSum", x, dims, keepDims);
}

export function mean(x: Tensor, dims?: number | number[], keepDims = false): Tensor {
  const axes = axesOf(x, dims);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  const input = isFloat(x.dtype) ? x : cast(x, "float32");
  return div(sum(input, axes, keepDims), count);
}

export function prod(x: Tensor, dims?: number | number[], keepDims = false): Tensor {
  if (autocasting()) return inFloat32(prod, x, dims, keepDims);
  return reduceOp("reduceProd", x, dims, keepDims);
}

export const max = (x: Tensor, dims?: number | number[], keepDims = false) => reduceOp("reduceMax", x, dims, keepDims);
export const min = (x: Tensor, dims?: number | number[], keepDims = false) => reduceOp("reduceMin", x, dims, keepDims);

export function argmax(x: Tensor, dim: number, keepDims = false): Tensor {
  return run("argMax", [x], { axis: dim, keepDims });
}

export function argmin(x: Tensor, dim: number, keepDims = false): Tensor {
  return run("argMin", [x], { axis: dim, keepDims });
}

/** Variance (unbiased by default, like torch.var). */
export function variance(x: Tensor, dims?: number | number[], keepDims = false, unbiased = true): Tensor {
  const { squares, count } = squaredDeviations(x, dims, keepDims);
  return div(squares, Math.max(unbiased ? count - 1 : count, 1));
}

/** Σ(x − mean)² over `dims` and the number of elements each sum covers: what every variance divides. */
function squaredDeviations(x: Tensor, dims?: number | number[], keepDims = false): { squares: Tensor; count: number } {
  const axes = axesOf(x, dims);
  const centered = sub(x, mean(x, axes, true));
  return { squares: sum(mul(centered, centered), axes, keepDims), count: axes.reduce((n, a) => n * x.shape[a]!, 1) };
}

/** A correction from torch's `unbiased` boolean or its `correction` number. */
function correctionOf(op: string, c: number | boolean): number {
  const v = typeof c === "boolean" ? (c ? 1 : 0) : c;
  if (!Number.isFinite(v) || v < 0) throw new PolychipError(`${op}: correction must be a non-negative number (or a boolean), got ${c}`);
  return v;
}

/**
 * Variance with torch's `correction` (1 = Bessel's, the default; 0 = population), dividing by
 * count - correction; when that is <= 0 the result is inf or NaN, as torch.var.
 */
export function varCorrected(x: Tensor, dims?: number | number[], keepDims = false, correction: number | boolean = 1): Tensor {
  const c = correctionOf("var", correction);
  const { squares, count } = squaredDeviations(x, dims, keepDims);
  return div(squares, Math.max(count - c, 0));
}

/** torch.std: the square root of the corrected variance (correction 1 by default; true/false as `unbiased`). */
export function std(x: Tensor, dims?: number | number[], keepDims = false, correction: number | boolean = 1): Tensor {
  correctionOf("std", correction);
  return sqrt(varCorrected(x, dims, keepDims, correction));
}

/** log(sum(exp(x))) along `dim`, stable: the max is subtracted first. */
export function logsumexp(x: Tensor, dim: number, keepDims = false): Tensor {
  const m = noGrad(() => run("reduceMax", [x], { axes: [dim], keepDims: true })); // a constant shift: no gradient needed
  const shifted = exp(sub(x, m));
  const out = add(log(sum(shifted, dim, true)), m);
  return keepDims
    ? out
    : reshape(
        out,
        out.shape.filter((_, i) => i !== normalizeAxis("logsumexp", dim, x.ndim)),
      );
}
