import { UNARY_SCALAR, type Scalar1 } from "@polychip/hal";
import { openOutput, readValues } from "../views.ts";
import { cpuKernel, type CpuKernel, type CpuRegistration } from "./registration.ts";

/** Every unary primitive's meaning, from the HAL (the same table the SDK gives vendors). */
const FUNCTIONS = UNARY_SCALAR;

/** Integer results are stored through the output's typed array, which wraps them like two's-complement hardware. */
function unaryKernel(fn: Scalar1): CpuKernel {
  return ({ inputs: [x], outputs: [y] }) => {
    const xs = readValues(x!);
    const out = openOutput(y!);
    const v = out.values;
    for (let i = 0; i < xs.length; i++) v[i] = fn(xs[i]!);
    out.commit();
  };
}

/** relu runs on every activation in training: a loop without a call per element. */
const reluKernel: CpuKernel = ({ inputs: [x], outputs: [y] }) => {
  const xs = readValues(x!);
  const out = openOutput(y!);
  const v = out.values;
  for (let i = 0; i < xs.length; i++) {
    const a = xs[i]!;
    v[i] = a > 0 || a !== a ? a : 0;
  }
  out.commit();
};

/** log(1 + exp(beta·x)) / beta in double precision, in the form that never overflows. */
const softplusKernel: CpuKernel = ({ inputs: [x], outputs: [y], attrs }) => {
  const beta = typeof attrs.beta === "number" ? attrs.beta : 1;
  const xs = readValues(x!);
  const out = openOutput(y!);
  const v = out.values;
  for (let i = 0; i < xs.length; i++) {
    const z = beta * xs[i]!;
    v[i] = (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))) / beta;
  }
  out.commit();
};

export const unaryKernels: CpuRegistration[] = [
  ...Object.entries(FUNCTIONS).map(([op, fn]) => cpuKernel(op, op === "relu" ? reluKernel : unaryKernel(fn))),
  cpuKernel("softplus", softplusKernel),
];
