import type { Attrs } from "../../device.ts";
import type { DecompositionContext } from "../types.ts";
import { filled, requireShape, windowIndices, withoutPadSlot } from "./helpers.ts";
import { poolGeometry, poolWindows } from "./pool2d.ts";

/** Max over each window; padding reads -Infinity, so it never wins over a real value. */
export function maxPool2d<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const x = inputs[0]!;
  const g = poolGeometry("maxPool2d", ctx.meta(x).shape, attrs);
  const max = ctx.call("reduceMax", [poolWindows(ctx, x, g, -Infinity)], { axes: [2] });
  return [ctx.reshape(max, [g.n, g.c, g.win.oh, g.win.ow])];
}

/**
 * Gradient of maxPool2d. Each window's gradient goes to its first max in row-major tap order, as
 * maxPool2d picks it: among the taps that lie in the input and equal the window max (or are NaN,
 * which propagates), argMax takes the first. A padding tap never wins, even against an input of
 * -Infinity. The im2col table turns the winning tap into an input position, and scatterAdd routes
 * the gradient there, summing where windows overlap; a window made only of padding sends its
 * gradient to the pad slot, which is dropped.
 */
export function maxPool2dGrad<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const op = "maxPool2dGrad";
  const [x, gradOut] = inputs as [V, V];
  const { shape, dtype } = ctx.meta(x);
  const g = poolGeometry(op, shape, attrs);
  requireShape(op, "gradOut", ctx.meta(gradOut).shape, [g.n, g.c, g.win.oh, g.win.ow]);
  const plane = g.h * g.w;
  const indices = windowIndices(g.win, g.h, g.w, "window-major");
  const windows = poolWindows(ctx, x, g, -Infinity); // [N*C, P, K]
  const max = ctx.call("reduceMax", [windows], { axes: [2], keepDims: true });
  const isMax = ctx.call("logicalOr", [ctx.call("equal", [windows, max]), ctx.call("isNaN", [windows])]);
  const inInput = ctx.constant(
    indices.map((i) => (i === plane ? 0 : 1)),
    [g.p, g.k],
    "bool",
  );
  const wins = ctx.call("cast", [ctx.call("logicalAnd", [isMax, inInput])], { to: "uint8" });
  const tap = ctx.call("argMax", [wins], { axis: 2 }); // [N*C, P]
  const windowStart = new Int32Array(g.p).map((_, p) => p * g.k);
  const entry = ctx.call("add", [tap, ctx.constant(windowStart, [g.p], "int32")]);
  const position = ctx.call("gather", [ctx.constant(indices, [g.p * g.k], "int32"), entry], { axis: 0 }); // [N*C, P]
  const dx = ctx.call("scatterAdd", [filled(ctx, [g.rows, plane + 1], dtype, 0), position, ctx.reshape(gradOut, [g.rows, g.p])], { axis: 1 });
  return [ctx.reshape(withoutPadSlot(ctx, dx, g.rows, plane), shape)];
}
