import type { Attrs } from "../../device.ts";
import { listAttr } from "../attrs.ts";
import type { DecompositionContext } from "../types.ts";
import { convColumns, convGeometry, convWeights } from "./conv2d.ts";
import { expandTo, filled, requireShape, shape4, windowIndices, withoutPadSlot } from "./helpers.ts";

/**
 * Gradient of conv2d w.r.t. its input: columns = Wᵀ·gradOut per group, then col2im, which is a
 * scatterAdd of every column entry onto the input position its tap read (the pad slot collects
 * the taps that read padding and is dropped).
 */
export function conv2dGradInput<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const op = "conv2dGradInput";
  const [gradOut, weight] = inputs as [V, V];
  const inputShape = shape4(op, "inputShape", listAttr(op, attrs, "inputShape"));
  const g = convGeometry(op, inputShape, ctx.meta(weight).shape, attrs);
  requireShape(op, "gradOut", ctx.meta(gradOut).shape, [g.n, g.oc, g.win.oh, g.win.ow]);
  const dy = ctx.reshape(gradOut, [g.n, g.groups, g.ocg, g.p]);
  const cols = ctx.call("matmul", [convWeights(ctx, weight, g), dy], { transposeA: true }); // [N, G, Cg*K, P]
  const rows = g.n * g.c;
  const plane = g.h * g.w;
  const table = ctx.constant(windowIndices(g.win, g.h, g.w, "tap-major"), [1, g.k * g.p], "int32");
  const dx = ctx.call(
    "scatterAdd",
    [filled(ctx, [rows, plane + 1], ctx.meta(gradOut).dtype, 0), expandTo(ctx, table, [rows, g.k * g.p]), ctx.reshape(cols, [rows, g.k * g.p])],
    { axis: 1 },
  );
  return [ctx.reshape(withoutPadSlot(ctx, dx, rows, plane), inputShape)];
}

/** Gradient of conv2d w.r.t. its weight: gradOut·columnsᵀ per sample and group, summed over the batch. */
export function conv2dGradWeight<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const op = "conv2dGradWeight";
  const [x, gradOut] = inputs as [V, V];
  const weightShape = shape4(op, "weightShape", listAttr(op, attrs, "weightShape"));
  const g = convGeometry(op, ctx.meta(x).shape, weightShape, attrs);
  requireShape(op, "gradOut", ctx.meta(gradOut).shape, [g.n, g.oc, g.win.oh, g.win.ow]);
  const dy = ctx.reshape(gradOut, [g.n, g.groups, g.ocg, g.p]);
  const perSample = ctx.call("matmul", [dy, convColumns(ctx, x, g)], { transposeB: true }); // [N, G, OCg, Cg*K]
  const summed = ctx.call("reduceSum", [perSample], { axes: [0] });
  return [ctx.reshape(summed, weightShape)];
}
