import type { Attrs } from "../../device.ts";
import { normalizeAxis } from "../../shape.ts";
import { numAttr } from "../attrs.ts";
import type { DecompositionContext } from "../types.ts";

/** x - max(x) along the axis: subtracting the max keeps exp from overflowing. */
function shifted<V>(ctx: DecompositionContext<V>, op: string, x: V, attrs: Attrs): { z: V; axes: number[] } {
  const axis = normalizeAxis(op, numAttr(op, attrs, "axis", -1), ctx.meta(x).shape.length);
  const axes = [axis];
  const max = ctx.call("reduceMax", [x], { axes, keepDims: true });
  return { z: ctx.call("sub", [x, max]), axes };
}

export function softmax<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const { z, axes } = shifted(ctx, "softmax", inputs[0]!, attrs);
  const e = ctx.call("exp", [z]);
  return [ctx.call("div", [e, ctx.call("reduceSum", [e], { axes, keepDims: true })])];
}

export function logSoftmax<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const { z, axes } = shifted(ctx, "logSoftmax", inputs[0]!, attrs);
  const sum = ctx.call("reduceSum", [ctx.call("exp", [z])], { axes, keepDims: true });
  return [ctx.call("sub", [z, ctx.call("log", [sum])])];
}
