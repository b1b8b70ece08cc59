import type { Attrs } from "../../device.ts";
import { numAttr } from "../attrs.ts";
import type { DecompositionContext } from "../types.ts";
import { DEFAULT_EPSILON } from "./layerNorm.ts";

/** Inference batch norm over channel dim 1, in the order the op doc states it: (x - mean) / sqrt(var + eps) * scale + bias. */
export function batchNorm<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const [x, scale, bias, mean, variance] = inputs as [V, V, V, V, V];
  const { shape, dtype } = ctx.meta(x);
  // [C] → [C, 1, ..., 1] so it broadcasts against dim 1 of [N, C, ...].
  const perChannel = [shape[1] ?? 1, ...shape.slice(2).map(() => 1)];
  const channel = (v: V) => ctx.reshape(v, perChannel);
  const epsilon = ctx.constant([numAttr("batchNorm", attrs, "epsilon", DEFAULT_EPSILON)], [], dtype);
  const std = ctx.call("sqrt", [ctx.call("add", [channel(variance), epsilon])]);
  const normalised = ctx.call("div", [ctx.call("sub", [x, channel(mean)]), std]);
  return [ctx.call("add", [ctx.call("mul", [normalised, channel(scale)]), channel(bias)])];
}
