import type { Attrs } from "../../device.ts";
import { numAttr } from "../attrs.ts";
import type { DecompositionContext } from "../types.ts";

/**
 * log(1 + exp(beta·x)) / beta in the form that never overflows: max(z, 0) + log(1 + exp(-|z|)),
 * z = beta·x. For large z the second term is below float32's resolution, as PyTorch's threshold.
 */
export function softplus<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const x = inputs[0]!;
  const { dtype } = ctx.meta(x);
  const beta = numAttr("softplus", attrs, "beta", 1);
  const z = beta === 1 ? x : ctx.call("mul", [x, ctx.constant([beta], [], dtype)]);
  const tail = ctx.call("log", [ctx.call("add", [ctx.call("exp", [ctx.call("neg", [ctx.call("abs", [z])])]), ctx.constant([1], [], dtype)])]);
  const y = ctx.call("add", [ctx.call("relu", [z]), tail]);
  return [beta === 1 ? y : ctx.call("div", [y, ctx.constant([beta], [], dtype)])];
}
