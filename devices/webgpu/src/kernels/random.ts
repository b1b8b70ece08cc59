import { numAttr } from "@polychip/hal";
import { castExpr } from "../families/cast-expr.ts";
import { elementwise } from "../families/elementwise.ts";
import type { WebGpuKernel } from "../families/registration.ts";
import { ParamBlock } from "../runtime/params.ts";

/**
 * U[low, high) from the HAL's counter-based stream: low + (high - low) * u, each step rounded to
 * float32 like the CPU device, so float32 results match it bit for bit. The product goes through a
 * select on a runtime-false flag so the compiler cannot fuse it with the add into an fma.
 */
const randomUniform: WebGpuKernel = ({ outputs: [y], attrs }, device) => {
  const low = Math.fround(numAttr("randomUniform", attrs, "low", 0));
  const high = Math.fround(numAttr("randomUniform", attrs, "high", 1));
  const params = new ParamBlock()
    .u32("seed", numAttr("randomUniform", attrs, "seed", 0) >>> 0)
    .f32("low", low)
    .f32("span", Math.fround(high - low))
    .u32("never", 0);
  elementwise(device, {
    op: "randomUniform",
    key: `randomUniform:${y!.dtype}`,
    inputs: [],
    output: y!,
    params,
    expr: () => castExpr("f32", y!.dtype, "(prm_low() + select(prm_span() * random_unit(prm_seed(), e), 0.0f, prm_never() != 0u))"),
  });
};

/** N(mean, std) by Box-Muller on the HAL's counter-based stream; matches the CPU within float tolerance. */
const randomNormal: WebGpuKernel = ({ outputs: [y], attrs }, device) => {
  const params = new ParamBlock()
    .u32("seed", numAttr("randomNormal", attrs, "seed", 0) >>> 0)
    .f32("mean", numAttr("randomNormal", attrs, "mean", 0))
    .f32("std", numAttr("randomNormal", attrs, "std", 1))
    .u32("never", 0);
  elementwise(device, {
    op: "randomNormal",
    key: `randomNormal:${y!.dtype}`,
    inputs: [],
    output: y!,
    params,
    expr: () => castExpr("f32", y!.dtype, "(prm_mean() + select(prm_std() * random_normal(prm_seed(), e), 0.0f, prm_never() != 0u))"),
  });
};

export const random = { randomUniform, randomNormal };
