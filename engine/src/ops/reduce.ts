import { isFloat, normalizeAxis } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import type { Tensor } from "../tensor.ts";
import { add, cast, div, exp, log, mul, run, sub } from "./basic.ts";
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
  const axes = axesOf(x, dims);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  const centered = sub(x, mean(x, axes, true));
  return div(sum(mul(centered, centered), axes, keepDims), Math.max(unbiased ? count - 1 : count, 1));
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
