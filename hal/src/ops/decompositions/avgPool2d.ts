import type { Attrs } from "../../device.ts";
import { boolAttr, listAttr } from "../attrs.ts";
import type { DecompositionContext } from "../types.ts";
import { expandTo, filled, requireShape, shape4, windowIndices, withoutPadSlot } from "./helpers.ts";
import { poolGeometry, poolWindows, type PoolGeometry } from "./pool2d.ts";

/**
 * The divisor of each window. countIncludePad counts taps inside the padded input
 * ([-top, H+bottom) × [-left, W+right)), so with ceilMode the part of a window beyond the padding
 * is never counted (PyTorch); otherwise only taps inside the input count. A window made only of
 * padding gets the divisor Infinity: its sum is 0, so it averages to 0 and passes no gradient.
 */
export function windowCounts(g: PoolGeometry, countIncludePad: boolean): Float32Array {
  const { win, h, w } = g;
  const [y0, y1, x0, x1] = countIncludePad ? [-win.pt, h + win.pb, -win.pl, w + win.pr] : [0, h, 0, w];
  const counts = new Float32Array(g.p);
  for (let oy = 0; oy < win.oh; oy++) {
    for (let ox = 0; ox < win.ow; ox++) {
      let rowsIn = 0;
      for (let i = 0; i < win.kh; i++) {
        const y = oy * win.sh - win.pt + i * win.dh;
        if (y >= y0 && y < y1) rowsIn++;
      }
      let colsIn = 0;
      for (let j = 0; j < win.kw; j++) {
        const x = ox * win.sw - win.pl + j * win.dw;
        if (x >= x0 && x < x1) colsIn++;
      }
      counts[oy * win.ow + ox] = rowsIn * colsIn || Infinity;
    }
  }
  return counts;
}

/** Sum over each window (padding reads 0) divided by the window's count. */
export function avgPool2d<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const x = inputs[0]!;
  const { shape, dtype } = ctx.meta(x);
  const g = poolGeometry("avgPool2d", shape, attrs);
  const sum = ctx.call("reduceSum", [poolWindows(ctx, x, g, 0)], { axes: [2] }); // [N*C, P]
  const counts = ctx.constant(windowCounts(g, boolAttr(attrs, "countIncludePad")), [g.p], dtype);
  return [ctx.reshape(ctx.call("div", [sum, counts]), [g.n, g.c, g.win.oh, g.win.ow])];
}

/** Gradient of avgPool2d: each window's gradient / count goes to every tap, summed where windows overlap. */
export function avgPool2dGrad<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const op = "avgPool2dGrad";
  const gradOut = inputs[0]!;
  const { shape: dyShape, dtype } = ctx.meta(gradOut);
  const inputShape = shape4(op, "inputShape", listAttr(op, attrs, "inputShape"));
  const g = poolGeometry(op, inputShape, attrs);
  requireShape(op, "gradOut", dyShape, [g.n, g.c, g.win.oh, g.win.ow]);
  const counts = ctx.constant(windowCounts(g, boolAttr(attrs, "countIncludePad")), [g.p], dtype);
  const share = ctx.call("div", [ctx.reshape(gradOut, [g.rows, g.p]), counts]); // [N*C, P]
  const perTap = expandTo(ctx, ctx.reshape(share, [g.rows, g.p, 1]), [g.rows, g.p, g.k]);
  const table = ctx.constant(windowIndices(g.win, g.h, g.w, "window-major"), [1, g.p * g.k], "int32");
  const plane = g.h * g.w;
  const dx = ctx.call(
    "scatterAdd",
    [filled(ctx, [g.rows, plane + 1], dtype, 0), expandTo(ctx, table, [g.rows, g.p * g.k]), ctx.reshape(perTap, [g.rows, g.p * g.k])],
    { axis: 1 },
  );
  return [ctx.reshape(withoutPadSlot(ctx, dx, g.rows, plane), inputShape)];
}
