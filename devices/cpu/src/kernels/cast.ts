import { converterTo, truthy } from "../convert.ts";
import { openOutput, readValues } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** cast to attrs.to (the output view's dtype); the conversion rule lives in convert.ts. */
export const castKernels: CpuRegistration[] = [
  cpuKernel("cast", ({ inputs: [x], outputs: [y] }) => {
    const xs = x!.dtype === "bool" ? truthy(readValues(x!)) : readValues(x!);
    const convert = converterTo(y!.dtype);
    const out = openOutput(y!);
    const v = out.values;
    for (let i = 0; i < xs.length; i++) v[i] = convert(xs[i]!);
    out.commit();
  }),
];
