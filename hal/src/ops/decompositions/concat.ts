import type { Attrs } from "../../device.ts";
import { contiguousStrides, normalizeAxis } from "../../shape.ts";
import { numAttr } from "../attrs.ts";
import type { DecompositionContext } from "../types.ts";
import { filled } from "./helpers.ts";

/** One output buffer; each input is copied into its slab along the axis. */
export function concat<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const first = ctx.meta(inputs[0]!);
  const axis = normalizeAxis("concat", numAttr("concat", attrs, "axis", 0), first.shape.length);
  const shape = [...first.shape];
  shape[axis] = inputs.reduce((total, v) => total + ctx.meta(v).shape[axis]!, 0);
  const out = filled(ctx, shape, first.dtype, 0);
  const strides = contiguousStrides(shape);
  let start = 0;
  for (const v of inputs) {
    const part = ctx.meta(v).shape;
    if (part.every((d) => d > 0)) ctx.copyInto(out, { shape: part, strides, offset: start * strides[axis]! }, v);
    start += part[axis]!;
  }
  return [out];
}
