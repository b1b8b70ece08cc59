import { elementwise } from "../families/elementwise.ts";
import { BOOLS, webgpuKernel } from "../families/registration.ts";
import { scalarOf } from "../wgsl/dtypes.ts";

/** where(cond, a, b): registered by the dtype of its first input, the bool condition. */
export const whereKernel = webgpuKernel("where", BOOLS, ({ inputs: [c, a, b], outputs: [y] }, device) => {
  elementwise(device, { op: "where", key: `where:${scalarOf(a!.dtype)}`, inputs: [c!, a!, b!], output: y!, expr: ([vc, va, vb]) => `select(${vb}, ${va}, ${vc})` });
});
