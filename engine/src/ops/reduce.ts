import { isFloat, normalizeAxis, type Attrs } from "@polychip/hal";
import { record } from "../autograd/node.ts";
import type { Tensor } from "../tensor.ts";
import { add, cast, div, eq, exp, log, mul, run, sub, where } from "./basic.ts";
import { expand, reshape } from "./shape.ts";

function axesOf(x: Tensor, dims?: number | number[]): number[] {
  if (dims === undefined) return [...Array(x.ndim).keys()];
  const list = Array.isArray(dims) ? dims : [dims];
  return [...new Set(list.map((d) => normalizeAxis("reduce", d, x.ndim)))].sort((a, b) => a - b);
}

/** The reduced gradient reshaped so it broadcasts against the input again. */
function restoreDims(g: Tensor, x: Tensor, axes: number[], keepDims: boolean): Tensor {
  if (keepDims) return g;
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return reshape(g, shape);
}

function reduceOp(op: string, x: Tensor, dims: number | number[] | undefined, keepDims: boolean): [Tensor, number[]] {
  const axes = axesOf(x, dims);
  const attrs: Attrs = { axes, keepDims };
  const input = x.dtype === "bool" ? cast(x, "int32") : x;
  return [run(op, [input], attrs), axes];
}

export function sum(x: Tensor, dims?: number | number[], keepDims = false): Tensor {
  const [out, axes] = reduceOp("reduceSum", x, dims, keepDims);
  return record("sum", out, [x], (g) => [expand(restoreDims(g, x, axes, keepDims), x.shape)]);
}

export function mean(x: Tensor, dims?: number | number[], keepDims = false): Tensor {
  const axes = axesOf(x, dims);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  const input = isFloat(x.dtype) ? x : cast(x, "float32");
  return div(sum(input, axes, keepDims), count);
}

export function prod(x: Tensor, dims?: number | number[], keepDims = false): Tensor {
  const [out, axes] = reduceOp("reduceProd", x, dims, keepDims);
  return record("prod", out, [x], (g) => {
    // d(prod)/dx_i is the product of the other elements: out/x_i, except where x_i is 0.
    const isZero = eq(x, 0);
    const nonZero = where(isZero, 1, x);
    const prodNonZero = run("reduceProd", [nonZero], { axes, keepDims: true });
    const zeros = run("reduceSum", [cast(isZero, "int32")], { axes, keepDims: true });
    const atZero = where(eq(zeros, 1), prodNonZero, 0);
    const local = where(isZero, atZero, div(restoreDims(out, x, axes, keepDims), nonZero));
    return [mul(restoreDims(g, x, axes, keepDims), local)];
  });
}

function extremum(op: string, x: Tensor, dims: number | number[] | undefined, keepDims: boolean): Tensor {
  const [out, axes] = reduceOp(op, x, dims, keepDims);
  return record(op, out, [x], (g) => {
    // Ties share the gradient equally, as in PyTorch's max/min over dims.
    const hit = cast(eq(x, restoreDims(out, x, axes, keepDims)), g.dtype);
    const count = run("reduceSum", [hit], { axes, keepDims: true });
    return [div(mul(hit, restoreDims(g, x, axes, keepDims)), count)];
  });
}

export const max = (x: Tensor, dims?: number | number[], keepDims = false) => extremum("reduceMax", x, dims, keepDims);
export const min = (x: Tensor, dims?: number | number[], keepDims = false) => extremum("reduceMin", x, dims, keepDims);

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
  const m = run("reduceMax", [x], { axes: [dim], keepDims: true }); // a constant shift: no gradient needed
  const shifted = exp(sub(x, m));
  const out = add(log(sum(shifted, dim, true)), m);
  return keepDims ? out : reshape(out, out.shape.filter((_, i) => i !== normalizeAxis("logsumexp", dim, x.ndim)));
}
