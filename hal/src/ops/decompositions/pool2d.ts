import type { Attrs } from "../../device.ts";
import { ShapeError } from "../../errors.ts";
import { formatShape, type Shape } from "../../shape.ts";
import { listAttr } from "../attrs.ts";
import { window2d, type Window2d } from "../window2d.ts";
import type { DecompositionContext } from "../types.ts";
import { windowIndices, withPadSlot } from "./helpers.ts";

/** Pooling geometry: every (n, c) plane is a row; K = KH*KW taps, P = OH*OW windows. */
export interface PoolGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  rows: number;
  k: number;
  p: number;
  win: Window2d;
}

export function poolGeometry(op: string, xShape: Shape, attrs: Attrs): PoolGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be 4-D (NCHW), got ${formatShape(xShape)}`);
  const [kh, kw] = listAttr(op, attrs, "kernel") as [number, number];
  const [n, c, h, w] = xShape as [number, number, number, number];
  const win = window2d(op, h, w, kh, kw, attrs);
  return { n, c, h, w, rows: n * c, k: kh * kw, p: win.oh * win.ow, win };
}

/** Every window's taps as [N*C, P, K]; taps in the padding read `padValue`. */
export function poolWindows<V>(ctx: DecompositionContext<V>, x: V, g: PoolGeometry, padValue: number): V {
  const padded = withPadSlot(ctx, x, g.rows, g.h * g.w, padValue);
  const table = ctx.constant(windowIndices(g.win, g.h, g.w, "window-major"), [g.p, g.k], "int32");
  return ctx.call("gather", [padded, table], { axis: 1 });
}
