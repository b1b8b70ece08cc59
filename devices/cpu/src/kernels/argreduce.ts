import { boolAttr, normalizeAxis, numAttr } from "@polychip/hal";
import { openOutput, permutedValues } from "../views.ts";
import { keptThenReduced } from "./axes.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

/**
 * argMax/argMin along attrs.axis, int32 output. Ties go to the first index (the last with
 * attrs.selectLastIndex). NaN counts as the extreme, like NumPy and PyTorch: the first NaN wins
 * (the last with selectLastIndex).
 */
function argKernel(op: string, better: (v: number, best: number) => boolean): CpuKernel {
  return ({ inputs: [x], outputs: [y], attrs }) => {
    const axis = normalizeAxis(op, numAttr(op, attrs, "axis"), x!.shape.length);
    const last = boolAttr(attrs, "selectLastIndex");
    const values = permutedValues(x!, keptThenReduced(x!.shape.length, [axis]));
    const n = x!.shape[axis]!;
    const out = openOutput(y!);
    const v = out.values;
    for (let o = 0; o < v.length; o++) {
      const s = o * n;
      let bestIndex = 0;
      let best = values[s]!;
      for (let k = 1; k < n; k++) {
        const e = values[s + k]!;
        if (best !== best) {
          if (!last) break;
          if (e !== e) bestIndex = k;
        } else if (e !== e || better(e, best) || (last && e === best)) {
          best = e;
          bestIndex = k;
        }
      }
      v[o] = bestIndex;
    }
    out.commit();
  };
}

export const argReduceKernels: CpuRegistration[] = [
  cpuKernel(
    "argMax",
    argKernel("argMax", (v, best) => v > best),
  ),
  cpuKernel(
    "argMin",
    argKernel("argMin", (v, best) => v < best),
  ),
];
