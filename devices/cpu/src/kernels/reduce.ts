import { isFloat, sizeOf, type DType } from "@polychip/hal";
import { openOutput, permutedValues, type ValueArray } from "../views.ts";
import { keptThenReduced, reductionAxes } from "./axes.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

/** Reduces values[start, start + n) to one number. */
type RunReducer = (values: ValueArray, start: number, n: number) => number;

// Floats accumulate in float64 (more accurate than any device; the oracle's job). Integers wrap at 32 bits.
const floatSum: RunReducer = (v, s, n) => {
  let acc = 0;
  for (let i = s; i < s + n; i++) acc += v[i]!;
  return acc;
};
const intSum: RunReducer = (v, s, n) => {
  let acc = 0;
  for (let i = s; i < s + n; i++) acc = (acc + v[i]!) | 0;
  return acc;
};
const floatProd: RunReducer = (v, s, n) => {
  let acc = 1;
  for (let i = s; i < s + n; i++) acc *= v[i]!;
  return acc;
};
const intProd: RunReducer = (v, s, n) => {
  let acc = 1;
  for (let i = s; i < s + n; i++) acc = Math.imul(acc, v[i]!);
  return acc;
};
// Math.max/min propagate NaN; the HAL rejects empty max/min reductions before they reach a kernel.
const max: RunReducer = (v, s, n) => {
  let acc = -Infinity;
  for (let i = s; i < s + n; i++) acc = Math.max(acc, v[i]!);
  return acc;
};
const min: RunReducer = (v, s, n) => {
  let acc = Infinity;
  for (let i = s; i < s + n; i++) acc = Math.min(acc, v[i]!);
  return acc;
};

const REDUCERS: Record<string, (dtype: DType) => RunReducer> = {
  reduceSum: (d) => (isFloat(d) ? floatSum : intSum),
  reduceProd: (d) => (isFloat(d) ? floatProd : intProd),
  reduceMax: () => max,
  reduceMin: () => min,
};

function reduceKernel(op: string, reducerFor: (dtype: DType) => RunReducer): CpuKernel {
  return ({ inputs: [x], outputs: [y], attrs }) => {
    const axes = reductionAxes(op, x!.shape.length, attrs);
    const values = permutedValues(x!, keptThenReduced(x!.shape.length, axes));
    const run = sizeOf(axes.map((a) => x!.shape[a]!));
    const reduce = reducerFor(x!.dtype);
    const out = openOutput(y!);
    const v = out.values;
    for (let o = 0; o < v.length; o++) v[o] = reduce(values, o * run, run);
    out.commit();
  };
}

export const reduceKernels: CpuRegistration[] = Object.entries(REDUCERS).map(([op, r]) => cpuKernel(op, reduceKernel(op, r)));
