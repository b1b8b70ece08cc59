import { castExpr } from "../families/cast-expr.ts";
import { elementwise } from "../families/elementwise.ts";
import { ALL, webgpuKernel } from "../families/registration.ts";
import { scalarOf } from "../wgsl/dtypes.ts";

export const castKernel = webgpuKernel("cast", ALL, ({ inputs: [x], outputs: [y] }, device) => {
  const from = scalarOf(x!.dtype);
  elementwise(device, { op: "cast", key: `cast:${from}:${y!.dtype}`, inputs: [x!], output: y!, expr: ([v]) => castExpr(from, y!.dtype, v!) });
});
