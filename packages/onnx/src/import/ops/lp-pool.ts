import { ShapeError } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, input, output, requireFloatInput, scalarLike, un, type OpImporter } from "./helpers.ts";
import { poolWindows } from "./pool.ts";
import { windowAttrs } from "./pooling-geometry.ts";

/** The order p of an Lp pool: a float attribute in opset 1, an int since opset 2. */
function orderOf(ctx: ImportContext, node: OnnxNode): number {
  const p = node.opset < 2 ? node.attrs.float("p", 2)! : node.attrs.int("p", 2)!;
  if (!(p > 0)) throw new ShapeError(`${ctx.where()}: p must be positive, got ${p}`);
  return p;
}

/** |x|^p, with the common orders as cheaper ops. */
export function absPower(ctx: ImportContext, x: string, p: number): string {
  if (p === 1) return un(ctx, "abs", x);
  if (p === 2) return bin(ctx, "mul", x, x);
  return bin(ctx, "pow", un(ctx, "abs", x), scalarLike(ctx, p, x));
}

/** s^(1/p). */
export function root(ctx: ImportContext, s: string, p: number, out?: string): string {
  if (p === 1) return ctx.op("identity", [s], {}, out);
  if (p === 2) return un(ctx, "sqrt", s, out);
  return bin(ctx, "pow", s, scalarLike(ctx, 1 / p, s), out);
}

/**
 * How many taps of each output window lie inside the padded input along one dim: every tap but
 * those a ceil_mode window puts beyond the end padding.
 */
function tapsPerWindow(size: number, out: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number): number[] {
  return Array.from({ length: out }, (_, o) => {
    let taps = 0;
    for (let t = 0; t < kernel; t++) if (o * stride + t * dilation < size + padBegin + padEnd) taps++;
    return taps;
  });
}

/**
 * LpPool: (Σ_window |x|^p)^(1/p), padding counted as zeros. The window sums come from the
 * average pool (padding counted, so its 1-D to 3-D forms and geometry are shared) times each
 * window's tap count.
 */
const lpPool: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  requireFloatInput(ctx, x);
  const p = orderOf(ctx, node);
  const dims = ctx.shape(x, "LpPool");
  const kernel = node.attrs.ints("kernel_shape");
  if (!kernel) throw new ShapeError(`${ctx.where()}: missing kernel_shape`);
  const win = windowAttrs(ctx, node, dims.slice(2), kernel);
  const mean = poolWindows(ctx, node, "avgPool2d", absPower(ctx, x, p), { ceilMode: node.attrs.int("ceil_mode", 0) === 1, countIncludePad: true });
  const outDims = ctx.shape(mean, "LpPool");
  const n = kernel.length;
  const counts = outDims.slice(2).map((o, i) => tapsPerWindow(dims[2 + i]!, o, kernel[i]!, win.strides[i]!, win.dilations[i]!, win.pads[i]!, win.pads[i + n]!));
  const total = counts.reduce<number[]>((acc, c) => acc.flatMap((a) => c.map((v) => a * v)), [1]);
  const sums = bin(ctx, "mul", mean, ctx.const(total, outDims.slice(2), ctx.dtype(x)));
  root(ctx, sums, p, output(node));
};

/** GlobalLpPool: (Σ_spatial |x|^p)^(1/p) per sample and channel. */
const globalLpPool: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  requireFloatInput(ctx, x);
  const p = orderOf(ctx, node);
  const rank = ctx.rank(x);
  if (rank < 3) throw new ShapeError(`${ctx.where()}: input must be [N, C, spatial...], got rank ${rank}`);
  const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  root(ctx, ctx.op("reduceSum", [absPower(ctx, x, p)], { axes, keepDims: true }), p, output(node));
};

export const LP_POOL_IMPORTERS: Readonly<Record<string, OpImporter>> = { LpPool: lpPool, GlobalLpPool: globalLpPool };
