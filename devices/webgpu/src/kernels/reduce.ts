import { argReduceKernel } from "../families/arg-reduce.ts";
import { reduceKernel, type Reducer } from "../families/reduce.ts";
import { familyOf } from "../families/registration.ts";
import { literal } from "../wgsl/dtypes.ts";

// The reductions by their combining step and identity; max/min propagate NaN (f_max/f_min).
const REDUCERS = {
  reduceSum: { combine: (_s, a, b) => `${a} + ${b}`, identity: (s) => literal(s, 0) },
  reduceProd: { combine: (_s, a, b) => `${a} * ${b}`, identity: (s) => literal(s, 1) },
  reduceMax: {
    combine: (s, a, b) => (s === "f32" ? `f_max(${a}, ${b})` : `max(${a}, ${b})`),
    identity: (s) => (s === "f32" ? "-f_inf()" : literal(s, -2147483648)),
  },
  reduceMin: {
    combine: (s, a, b) => (s === "f32" ? `f_min(${a}, ${b})` : `min(${a}, ${b})`),
    identity: (s) => (s === "f32" ? "f_inf()" : literal(s, 2147483647)),
  },
} satisfies Record<string, Reducer>;

export const reduce = {
  ...familyOf(REDUCERS, reduceKernel),
  argMax: argReduceKernel("argMax"),
  argMin: argReduceKernel("argMin"),
};
