import { ARG_BETTER, argIndex, boolAttr, normalizeAxis, numAttr } from "@polychip/hal";
import { openOutput, permutedValues } from "../views.ts";
import { keptThenReduced } from "./axes.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

/**
 * argMax/argMin along attrs.axis, int32 output. Ties go to the first index (the last with
 * attrs.selectLastIndex). NaN counts as the extreme, like NumPy and PyTorch: the first NaN wins
 * (the last with selectLastIndex).
 */
function argKernel(op: "argMax" | "argMin"): CpuKernel {
  return ({ inputs: [x], outputs: [y], attrs }) => {
    const axis = normalizeAxis(op, numAttr(op, attrs, "axis"), x!.shape.length);
    const last = boolAttr(attrs, "selectLastIndex");
    const values = permutedValues(x!, keptThenReduced(x!.shape.length, [axis]));
    const n = x!.shape[axis]!;
    const out = openOutput(y!);
    const v = out.values;
    for (let o = 0; o < v.length; o++) v[o] = argIndex(n, (k) => values[o * n + k]!, ARG_BETTER[op], last);
    out.commit();
  };
}

export const argReduceKernels: CpuRegistration[] = [cpuKernel("argMax", argKernel("argMax")), cpuKernel("argMin", argKernel("argMin"))];
