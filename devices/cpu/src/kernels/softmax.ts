import { normalizeAxis, numAttr, sizeOf } from "@polychip/hal";
import { openOutput, readValues } from "../views.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

/**
 * softmax / logSoftmax along attrs.axis (default -1), stable: every exponent is x - max, computed
 * in float64. Lines that are all -Inf (or hold NaN or +Inf) give NaN, as the formula does.
 */
function softmaxKernel(op: string, log: boolean): CpuKernel {
  return ({ inputs: [x], outputs: [y], attrs }) => {
    const shape = x!.shape;
    const axis = normalizeAxis(op, numAttr(op, attrs, "axis", -1), shape.length);
    const D = shape[axis] ?? 1;
    const inner = sizeOf(shape.slice(axis + 1));
    const outer = sizeOf(shape.slice(0, axis));
    const xs = readValues(x!);
    const out = openOutput(y!);
    const v = out.values;
    const e = new Float64Array(D);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * D * inner + i;
        let max = -Infinity;
        for (let d = 0; d < D; d++) max = Math.max(max, xs[base + d * inner]!);
        let sum = 0;
        for (let d = 0; d < D; d++) sum += e[d] = Math.exp(xs[base + d * inner]! - max);
        if (log) {
          const shift = max + Math.log(sum);
          for (let d = 0; d < D; d++) v[base + d * inner] = xs[base + d * inner]! - shift;
        } else {
          for (let d = 0; d < D; d++) v[base + d * inner] = e[d]! / sum;
        }
      }
    }
    out.commit();
  };
}

export const softmaxKernels: CpuRegistration[] = [
  cpuKernel("softmax", softmaxKernel("softmax", false)),
  cpuKernel("logSoftmax", softmaxKernel("logSoftmax", true)),
];
