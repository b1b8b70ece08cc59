import type { Attrs } from "../../device.ts";
import type { Shape } from "../../shape.ts";
import { conv2dGeometry, type Window2d } from "../window2d.ts";
import type { DecompositionContext } from "../types.ts";
import { expandTo, windowIndices, withPadSlot } from "./helpers.ts";

/**
 * Convolution as im2col + batched matmul. Grouping is a batch dimension of the matmul:
 * columns [N, G, Cg*K, P] and weights [N, G, OCg, Cg*K] (K = KH*KW taps, P = OH*OW outputs).
 */
export interface ConvGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  oc: number;
  cg: number;
  ocg: number;
  groups: number;
  k: number;
  p: number;
  win: Window2d;
}

export function convGeometry(op: string, xShape: Shape, wShape: Shape, attrs: Attrs): ConvGeometry {
  const g = conv2dGeometry(op, xShape, wShape, attrs);
  return { n: g.N, c: g.C, h: g.H, w: g.W, oc: g.OC, cg: g.Cg, ocg: g.OCg, groups: g.groups, k: g.KH * g.KW, p: g.win.oh * g.win.ow, win: g.win };
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
