import { keep } from "../scope.ts";
import type { Tensor } from "../tensor.ts";

/** Marks `t` as a trainable parameter: requires grad, and outlives tidy scopes. */
export function parameter(t: Tensor): Tensor {
  t.requiresGrad_();
  t.isParameter = true;
  return keep(t);
}
