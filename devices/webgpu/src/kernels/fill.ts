import { numAttr } from "@polychip/hal";
import { castHost } from "../families/cast-expr.ts";
import { elementwise } from "../families/elementwise.ts";
import { ALL, webgpuKernel } from "../families/registration.ts";
import { scalarOf } from "../wgsl/dtypes.ts";
import { ParamBlock } from "../runtime/params.ts";

/** fill: attrs.value converted by the cast rule on the host, then broadcast by the kernel. */
export const fillKernel = webgpuKernel("fill", ALL, ({ outputs: [y], attrs }, device) => {
  const s = scalarOf(y!.dtype);
  const value = castHost(numAttr("fill", attrs, "value", 0), y!.dtype);
  const params = new ParamBlock();
  if (s === "f32") params.f32("value", value);
  else params.i32("value", value);
  elementwise(device, { op: "fill", key: `fill:${s}`, inputs: [], output: y!, params, expr: () => (s === "bool" ? "prm_value() != 0i" : "prm_value()") });
});
