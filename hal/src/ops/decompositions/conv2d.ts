import type { Attrs } from "../../device.ts";
import { ShapeError } from "../../errors.ts";
import { formatShape, type Shape } from "../../shape.ts";
import { numAttr } from "../attrs.ts";
import { window2d, type Window2d } from "../window2d.ts";
import type { DecompositionContext } from "../types.ts";
import { expandTo, windowIndices, withPadSlot } from "./helpers.ts";

/**
 * Convolution as im2col + batched matmul. Grouping is a batch dimension of the matmul:
 * columns [N, G, Cg*K, P] and weights [N, G, OCg, Cg*K] (K = KH*KW taps, P = OH*OW outputs).
 */
export interface ConvGeometry {
  n: number; c: number; h: number; w: number;
  oc: number; cg: number; ocg: number; groups: number;
  k: number; p: number;
  win: Window2d;
}

export function convGeometry(op: string, xShape: Shape, wShape: Shape, attrs: Attrs): ConvGeometry {
  if (xShape.length !== 4 || wShape.length !== 4) {
    throw new ShapeError(`${op}: input ${formatShape(xShape)} and weight ${formatShape(wShape)} must be 4-D (NCHW)`);
  }
  const groups = numAttr(op, attrs, "groups", 1);
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [oc, cg, kh, kw] = wShape as [number, number, number, number];
  if (!Number.isInteger(groups) || groups < 1 || c !== cg * groups || oc % groups !== 0) {
    throw new ShapeError(`${op}: input ${formatShape(xShape)} has ${c} channels but weight ${formatShape(wShape)} with groups=${groups} expects ${cg * groups}`);
  }
  const win = window2d(op, h, w, kh, kw, attrs);
  return { n, c, h, w, oc, cg, ocg: oc / groups, groups, k: kh * kw, p: win.oh * win.ow, win };
}

/** im2col: [N, G, Cg*K, P], zero where a tap falls in the padding. */
export function convColumns<V>(ctx: DecompositionContext<V>, x: V, g: ConvGeometry): V {
  const padded = withPadSlot(ctx, x, g.n * g.c, g.h * g.w, 0);
  const table = ctx.constant(windowIndices(g.win, g.h, g.w, "tap-major"), [g.k, g.p], "int32");
  const cols = ctx.call("gather", [padded, table], { axis: 1 }); // [N*C, K, P]
  return ctx.reshape(cols, [g.n, g.groups, g.cg * g.k, g.p]);
}

/** Weights as [N, G, OCg, Cg*K]: matmul has no batch broadcasting, so the (small) weight is copied per sample. */
export function convWeights<V>(ctx: DecompositionContext<V>, weight: V, g: ConvGeometry): V {
  const grouped = ctx.reshape(weight, [g.groups, g.ocg, g.cg * g.k]);
  return expandTo(ctx, grouped, [g.n, g.groups, g.ocg, g.cg * g.k]);
}

export function conv2d<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const [x, weight, bias] = inputs as [V, V, V | undefined];
  const g = convGeometry("conv2d", ctx.meta(x).shape, ctx.meta(weight).shape, attrs);
  const out = ctx.call("matmul", [convWeights(ctx, weight, g), convColumns(ctx, x, g)]); // [N, G, OCg, P]
  const y = ctx.reshape(out, [g.n, g.oc, g.win.oh, g.win.ow]);
  return [bias === undefined ? y : ctx.call("add", [y, ctx.reshape(bias, [g.oc, 1, 1])])];
}
