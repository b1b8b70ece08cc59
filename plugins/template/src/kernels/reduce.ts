import { boolAttr, isFloat, listAttr, normalizeAxis, numAttr, sizeOf, type KernelFn, type KernelRegistration } from "@polychip/hal";
import { forEachIndex, loadValues, storeValues, type HostBuffer } from "@polychip/plugin-sdk";

const kernel = (op: string, fn: KernelFn<HostBuffer>): KernelRegistration<HostBuffer> => ({ device: "template", op, dtypes: "*", kernel: fn });

/** The output position of every input element when `axes` are reduced away (keepDims does not move data). */
function outputIndexOf(shape: readonly number[], axes: readonly number[]): Int32Array {
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const keptSizes = kept.map((d) => shape[d]!);
  const map = new Int32Array(sizeOf(shape));
  forEachIndex(shape, (index, flat) => {
    let o = 0;
    kept.forEach((d, i) => (o = o * keptSizes[i]! + index[d]!));
    map[flat] = o;
  });
  return map;
}

type Step = (acc: number, v: number) => number;

/** [initial value, float step, integer step]: floats accumulate in float64; integers wrap at 32 bits like hardware. */
const REDUCERS: Record<string, [number, Step, Step]> = {
  reduceSum: [0, (a, v) => a + v, (a, v) => (a + v) | 0],
  reduceProd: [1, (a, v) => a * v, Math.imul],
  reduceMax: [-Infinity, Math.max, Math.max],
  reduceMin: [Infinity, Math.min, Math.min],
};

/** argMax/argMin: ties go to the first index (last with selectLastIndex); the first NaN wins (last with selectLastIndex). */
function argKernel(op: string, better: (v: number, best: number) => boolean): KernelFn<HostBuffer> {
  return ({ inputs: [x], outputs: [y], attrs }) => {
    const axis = normalizeAxis(op, numAttr(op, attrs, "axis"), x!.shape.length);
    const last = boolAttr(attrs, "selectLastIndex");
    const values = loadValues(x!);
    const outer = sizeOf(x!.shape.slice(0, axis));
    const n = x!.shape[axis]!;
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const out = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (k: number) => values[(o * n + k) * inner + i]!;
        let bestIndex = 0;
        let best = at(0);
        for (let k = 1; k < n; k++) {
          const v = at(k);
          if (best !== best) {
            if (!last) break;
            if (v !== v) bestIndex = k;
          } else if (v !== v || better(v, best) || (last && v === best)) {
            best = v;
            bestIndex = k;
          }
        }
        out[o * inner + i] = bestIndex;
      }
    }
    storeValues(y!, out);
  };
}

export const reduceKernels: KernelRegistration<HostBuffer>[] = [
  ...Object.entries(REDUCERS).map(([op, [init, floatStep, intStep]]) =>
    kernel(op, ({ inputs: [x], outputs: [y], attrs }) => {
      const rank = x!.shape.length;
      const axes = attrs.axes === undefined || attrs.axes === null ? [...Array(rank).keys()] : listAttr(op, attrs, "axes").map((a) => normalizeAxis(op, a, rank));
      const step = isFloat(x!.dtype) ? floatStep : intStep;
      const values = loadValues(x!);
      const target = outputIndexOf(x!.shape, axes);
      const acc = new Float64Array(sizeOf(y!.shape)).fill(init);
      for (let i = 0; i < values.length; i++) acc[target[i]!] = step(acc[target[i]!]!, values[i]!);
      storeValues(y!, acc);
    }),
  ),
  kernel("argMax", argKernel("argMax", (v, best) => v > best)),
  kernel("argMin", argKernel("argMin", (v, best) => v < best)),
];
