import type { Attrs } from "../../device.ts";
import { normalizeAxis, sizeOf } from "../../shape.ts";
import { numAttr } from "../attrs.ts";
import type { DecompositionContext } from "../types.ts";

/** The epsilon both normalisations use when attrs.epsilon is absent (PyTorch's and ONNX's default). */
export const DEFAULT_EPSILON = 1e-5;

/**
 * Normalises over dims axis..rank-1 with the biased variance, then applies the optional weight
 * and bias, which broadcast against the trailing (normalised) dims.
 */
export function layerNorm<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const op = "layerNorm";
  const [x, weight, bias] = inputs as [V, V | undefined, V | undefined];
  const { shape, dtype } = ctx.meta(x);
  const axis = normalizeAxis(op, numAttr(op, attrs, "axis", -1), shape.length);
  const axes = shape.map((_, i) => i).slice(axis);
  const count = ctx.constant([sizeOf(shape.slice(axis))], [], dtype);
  const mean = ctx.call("div", [ctx.call("reduceSum", [x], { axes, keepDims: true }), count]);
  const centred = ctx.call("sub", [x, mean]);
  const variance = ctx.call("div", [ctx.call("reduceSum", [ctx.call("mul", [centred, centred])], { axes, keepDims: true }), count]);
  const epsilon = ctx.constant([numAttr(op, attrs, "epsilon", DEFAULT_EPSILON)], [], dtype);
  let y = ctx.call("div", [centred, ctx.call("sqrt", [ctx.call("add", [variance, epsilon])])]);
  if (weight !== undefined) y = ctx.call("mul", [y, weight]);
  if (bias !== undefined) y = ctx.call("add", [y, bias]);
  return [y];
}
