import { boolAttr, isFloat, listAttr, normalizeAxis, numAttr, sizeOf, type KernelFn, type KernelRegistration } from "@polychip/hal";
import { ARG_BETTER, argIndex, loadValues, reducedPositions, REDUCE_SCALAR, storeValues, type HostBuffer } from "@polychip/plugin-sdk";

const kernel = (op: string, fn: KernelFn<HostBuffer>): KernelRegistration<HostBuffer> => ({ device: "template", op, dtypes: "*", kernel: fn });

/** argMax/argMin along `axis`, by the SDK's argIndex rule (first index on ties and NaN; the last with selectLastIndex). */
function argKernel(op: "argMax" | "argMin"): KernelFn<HostBuffer> {
  return ({ inputs: [x], outputs: [y], attrs }) => {
    const axis = normalizeAxis(op, numAttr(op, attrs, "axis"), x!.shape.length);
    const last = boolAttr(attrs, "selectLastIndex");
    const values = loadValues(x!);
    const outer = sizeOf(x!.shape.slice(0, axis));
    const n = x!.shape[axis]!;
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const out = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) out[o * inner + i] = argIndex(n, (k) => values[(o * n + k) * inner + i]!, ARG_BETTER[op], last);
    }
    storeValues(y!, out);
  };
}

export const reduceKernels: KernelRegistration<HostBuffer>[] = [
  ...Object.entries(REDUCE_SCALAR).map(([op, [init, floatStep, intStep]]) =>
    kernel(op, ({ inputs: [x], outputs: [y], attrs }) => {
      const rank = x!.shape.length;
      const axes = attrs.axes === undefined || attrs.axes === null ? [...Array(rank).keys()] : listAttr(op, attrs, "axes").map((a) => normalizeAxis(op, a, rank));
      const step = isFloat(x!.dtype) ? floatStep : intStep;
      const values = loadValues(x!);
      const target = reducedPositions(x!.shape, axes);
      const acc = new Float64Array(sizeOf(y!.shape)).fill(init);
      for (let i = 0; i < values.length; i++) acc[target[i]!] = step(acc[target[i]!]!, values[i]!);
      storeValues(y!, acc);
    }),
  ),
  kernel("argMax", argKernel("argMax")),
  kernel("argMin", argKernel("argMin")),
];
