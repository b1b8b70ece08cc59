import { UnsupportedOpError } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, castTo, input, output, scalarLike, type OpImporter } from "./helpers.ts";
import { maxPoolIndices } from "./max-pool-indices.ts";
import { window2dAttrs, windowAttrs, type WindowAttrs } from "./pooling-geometry.ts";

/**
 * Max and average pooling. The HAL pools 2-D windows; 1-D pools run over [N, C, 1, L] and 3-D
 * pools run as two 2-D passes (H×W, then D), which is exact because a box window's max, sum and
 * valid-tap count all factor over its dims.
 */
const averagePool: OpImporter = (ctx, node) => {
  const extra = { ceilMode: node.attrs.int("ceil_mode", 0) === 1, countIncludePad: node.attrs.int("count_include_pad", 0) === 1 };
  poolWindows(ctx, node, "avgPool2d", input(ctx, node, 0), extra, output(node));
};

/**
 * MaxPool on float, int8 or uint8 (pooled in float32, which holds every 8-bit value exactly, and
 * cast back), with the Indices output when asked for (max-pool-indices.ts).
 */
const maxPool: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dtype = ctx.dtype(x);
  const eightBit = dtype === "int8" || dtype === "uint8";
  const extra = { ceilMode: node.attrs.int("ceil_mode", 0) === 1 };
  const pooled = poolWindows(ctx, node, "maxPool2d", castTo(ctx, x, eightBit ? "float32" : dtype), extra, eightBit ? undefined : output(node));
  if (eightBit) ctx.op("cast", [pooled], { to: dtype }, output(node));
  const indices = output(node, 1);
  if (!indices) return;
  const win = windowAttrs(ctx, node, ctx.dims(x).slice(2), node.attrs.ints("kernel_shape")!);
  maxPoolIndices(ctx, x, win, ctx.shape(pooled, "MaxPool's Indices output").slice(2), node.attrs.int("storage_order", 0), indices);
};

/**
 * `x` pooled over the windows the node's attributes describe (kernel_shape, strides, pads or
 * auto_pad, dilations) with `extra` HAL attrs; 1-D to 3-D. Returns the result's name.
 */
export function poolWindows(ctx: ImportContext, node: OnnxNode, halOp: "maxPool2d" | "avgPool2d", x: string, extra: object, out?: string): string {
  const dims = ctx.dims(x);
  const r = dims.length - 2;
  const kernel = node.attrs.ints("kernel_shape");
  if (!kernel) throw new UnsupportedOpError(`${ctx.where()}: missing kernel_shape`);
  const win = windowAttrs(ctx, node, dims.slice(2), kernel);
  if (r === 2) return ctx.op(halOp, [x], { ...window2dAttrs(win, 0, 1), ...extra }, out);
  if (r === 1) {
    const lifted: WindowAttrs = {
      kernel: [1, ...win.kernel],
      strides: [1, ...win.strides],
      dilations: [1, ...win.dilations],
      pads: [0, win.pads[0]!, 0, win.pads[1]!],
    };
    const y = ctx.op(halOp, [ctx.op("unsqueeze", [x], { axes: [2] })], { ...window2dAttrs(lifted, 0, 1), ...extra });
    return ctx.op("squeeze", [y], { axes: [2] }, out);
  }
  if (r === 3) return pool3d(ctx, halOp, x, win, extra, out);
  throw new UnsupportedOpError(`${ctx.where()}: ${r}-D pooling is not supported`);
}

function pool3d(ctx: ImportContext, halOp: string, x: string, win: WindowAttrs, extra: object, out: string | undefined): string {
  const [n, c, d, h, w] = ctx.shape(x, "3-D pooling");
  const planes = ctx.op(halOp, [ctx.op("reshape", [x], { shape: [n!, c! * d!, h!, w!] })], { ...window2dAttrs(win, 1, 2), ...extra });
  const [, , oh, ow] = ctx.shape(planes);
  const depthFirst = ctx.op("reshape", [planes], { shape: [n!, c!, d!, oh! * ow!] });
  const depthWindow: WindowAttrs = {
    kernel: [win.kernel[0]!, 1],
    strides: [win.strides[0]!, 1],
    dilations: [win.dilations[0]!, 1],
    pads: [win.pads[0]!, 0, win.pads[3]!, 0],
  };
  const pooled = ctx.op(halOp, [depthFirst], { ...window2dAttrs(depthWindow, 0, 1), ...extra });
  const [, , od] = ctx.shape(pooled);
  return ctx.op("reshape", [pooled], { shape: [n!, c!, od!, oh!, ow!] }, out);
}

function globalPool(kind: "max" | "avg"): OpImporter {
  return (ctx, node) => {
    const x = input(ctx, node, 0);
    const dims = ctx.dims(x);
    const axes = dims.map((_, i) => i).slice(2);
    if (kind === "max") {
      ctx.op("reduceMax", [x], { axes, keepDims: true }, output(node));
      return;
    }
    const shape = ctx.shape(x, "GlobalAveragePool");
    const count = axes.reduce((p, a) => p * shape[a]!, 1);
    bin(ctx, "div", ctx.op("reduceSum", [x], { axes, keepDims: true }), scalarLike(ctx, count, x), output(node));
  };
}

export const POOL_IMPORTERS: Record<string, OpImporter> = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalMaxPool: globalPool("max"),
  GlobalAveragePool: globalPool("avg"),
};
