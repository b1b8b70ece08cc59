import { numAttr } from "@polychip/hal";
import { castScalar } from "../convert.ts";
import { openOutput } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** fill: every element = attrs.value (default 0), converted to the output dtype by the cast rule. */
export const fillKernels: CpuRegistration[] = [
  cpuKernel("fill", ({ outputs: [y], attrs }) => {
    const out = openOutput(y!);
    out.values.fill(castScalar(numAttr("fill", attrs, "value", 0), y!.dtype));
    out.commit();
  }),
];
