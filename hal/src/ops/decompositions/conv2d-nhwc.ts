import type { Attrs } from "../../device.ts";
import { contiguousStrides } from "../../shape.ts";
import type { DecompositionContext } from "../types.ts";

/** Channels-last to channels-first and back, as permutations of a 4-D shape. */
export const TO_NCHW = [0, 3, 1, 2] as const;
export const TO_NHWC = [0, 2, 3, 1] as const;

/** A contiguous copy of 4-D `v` with its dims reordered by `perm`. */
function permuted<V>(ctx: DecompositionContext<V>, v: V, perm: readonly number[]): V {
  const contiguous = ctx.call("copy", [v]);
  const shape = ctx.meta(contiguous).shape;
  const strides = contiguousStrides(shape);
  return ctx.call("copy", [
    ctx.view(
      contiguous,
      perm.map((d) => shape[d]!),
      perm.map((d) => strides[d]!),
      0,
    ),
  ]);
}

/** conv2dNhwc as conv2d between two transposes: what a device without a channels-last kernel runs. */
export function conv2dNhwc<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const [x, w, bias] = inputs;
  const y = ctx.call("conv2d", bias === undefined ? [permuted(ctx, x!, TO_NCHW), w!] : [permuted(ctx, x!, TO_NCHW), w!, bias], attrs);
  return [permuted(ctx, y, TO_NHWC)];
}
