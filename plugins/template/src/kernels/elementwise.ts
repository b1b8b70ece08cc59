import { isFloat, type KernelFn, type KernelRegistration } from "@polychip/hal";
import { BINARY_SCALAR, loadValues, storeValues, UNARY_SCALAR, type HostBuffer } from "@polychip/plugin-sdk";

const kernel = (op: string, fn: KernelFn<HostBuffer>): KernelRegistration<HostBuffer> => ({ device: "template", op, dtypes: "*", kernel: fn });

/**
 * The SDK's UNARY_SCALAR / BINARY_SCALAR hold the HAL's rule for each op (C pow, floor modulo, integer
 * division by zero, NaN propagation); replace a loop here with your chip's vector code.
 * Elementwise inputs may be any strided view (stride 0 = broadcast): loadValues reads through the strides.
 */
export const elementwiseKernels: KernelRegistration<HostBuffer>[] = [
  ...Object.entries(UNARY_SCALAR).map(([op, fn]) =>
    kernel(op, ({ inputs: [x], outputs: [y] }) => {
      storeValues(y!, loadValues(x!).map(fn));
    }),
  ),
  ...Object.entries(BINARY_SCALAR).map(([op, [floatFn, intFn]]) =>
    kernel(op, ({ inputs: [a, b], outputs: [y] }) => {
      const fn = isFloat(a!.dtype) ? floatFn : intFn;
      const as = loadValues(a!, y!.shape);
      const bs = loadValues(b!, y!.shape);
      storeValues(y!, as.map((v, i) => fn(v, bs[i]!)));
    }),
  ),
  kernel("where", ({ inputs: [cond, a, b], outputs: [y] }) => {
    const cs = loadValues(cond!, y!.shape);
    const as = loadValues(a!, y!.shape);
    const bs = loadValues(b!, y!.shape);
    storeValues(y!, cs.map((c, i) => (c !== 0 ? as[i]! : bs[i]!)));
  }),
];
