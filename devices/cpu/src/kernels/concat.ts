import { contiguousStrides, normalizeAxis, numAttr } from "@polychip/hal";
import { openRawOutput, readRaw, scatterStrided } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** concat along attrs.axis: each input's elements move unchanged into its slab of the output. */
export const concatKernels: CpuRegistration[] = [
  cpuKernel("concat", ({ inputs, outputs: [y], attrs }) => {
    const axis = normalizeAxis("concat", numAttr("concat", attrs, "axis", 0), y!.shape.length);
    const strides = contiguousStrides(y!.shape);
    const out = openRawOutput(y!);
    let start = 0;
    for (const x of inputs) {
      scatterStrided(readRaw(x), 0, out.raw, start * strides[axis]!, x.shape, strides);
      start += x.shape[axis]!;
    }
    out.commit();
  }),
];
