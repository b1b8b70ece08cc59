import { formatShape, PolychipError, ShapeError } from "@polychip/hal";
import { isGradEnabled, noGrad } from "../tape/grad-mode.ts";
import { bumpVersion } from "../tape/node.ts";
import { tidy } from "../scope.ts";
import type { Tensor, TensorLike } from "../tensor.ts";
import { add, cast, clamp, mul } from "./basic.ts";
import { full } from "./creation.ts";
import { expand } from "./shape.ts";

export { tensorVersion } from "../tape/node.ts";

/**
 * Replaces t's values with `compute()` (same tensor object, same shape and dtype) and bumps its
 * version. Refused while autograd tracks t: a leaf that requires grad, or a result inside a graph,
 * whose old values a backward pass may still read. Parameter updates belong in noGrad, as torch.
 */
function mutate(op: string, t: Tensor, compute: () => Tensor): Tensor {
  if (isGradEnabled() && t.requiresGrad) {
    const what = t.gradFn ? `is the result of '${t.gradFn.op}' in an autograd graph` : "is a leaf that requires grad";
    throw new PolychipError(
      `${op}: ${t} ${what}; an in-place change would corrupt gradients. Use the out-of-place op, or wrap the change in noGrad(() => ...)`,
    );
  }
  const next = noGrad(() =>
    tidy(() => {
      const v = compute();
      if (formatShape(v.shape) !== formatShape(t.shape))
        throw new ShapeError(
          `${op}: the result ${formatShape(v.shape)} does not fit the tensor ${formatShape(t.shape)} in place (broadcasting may not grow it)`,
        );
      return v.dtype === t.dtype ? v : cast(v, t.dtype);
    }),
  );
  t.assign(next);
  next.dispose();
  bumpVersion(t);
  return t;
}

export const add_ = (t: Tensor, other: TensorLike, alpha = 1): Tensor =>
  mutate("add_", t, () => add(t, alpha === 1 ? other : typeof other === "number" ? other * alpha : mul(other, alpha)));
export const mul_ = (t: Tensor, other: TensorLike): Tensor => mutate("mul_", t, () => mul(t, other));
export const clamp_ = (t: Tensor, min?: number, max?: number): Tensor => mutate("clamp_", t, () => clamp(t, min, max));
export const fill_ = (t: Tensor, value: number): Tensor => mutate("fill_", t, () => full(t.shape, value, { dtype: t.dtype, device: t.device }));
export const zero_ = (t: Tensor): Tensor => fill_(t, 0);

/** Copies `src` (broadcast to t's shape, moved to t's device and dtype) into t. */
export function copy_(t: Tensor, src: Tensor): Tensor {
  return mutate("copy_", t, () => {
    const moved = src.device === t.device ? src : src.to(t.device);
    return formatShape(moved.shape) === formatShape(t.shape) ? add(moved, 0) : add(expand(moved, t.shape), 0);
  });
}
