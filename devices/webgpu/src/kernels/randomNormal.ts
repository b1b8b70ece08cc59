import { numAttr } from "@polychip/hal";
import { castExpr } from "../families/cast-expr.ts";
import { elementwise } from "../families/elementwise.ts";
import { ALL, webgpuKernel } from "../families/registration.ts";
import { ParamBlock } from "../runtime/params.ts";

/** N(mean, std) by Box-Muller on the HAL's counter-based stream; matches the CPU within float tolerance. */
export const randomNormalKernel = webgpuKernel("randomNormal", ALL, ({ outputs: [y], attrs }, device) => {
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
});
