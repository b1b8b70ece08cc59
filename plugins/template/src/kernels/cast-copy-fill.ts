import { isFloat, numAttr, randomStandardNormal, randomUnit, sizeOf, type DType, type KernelFn, type KernelRegistration } from "@polychip/hal";
import { castValue, loadValues, storeValues, type HostBuffer } from "@polychip/plugin-sdk";

const kernel = (op: string, fn: KernelFn<HostBuffer>): KernelRegistration<HostBuffer> => ({ device: "template", op, dtypes: "*", kernel: fn });
const f32 = Math.fround;

/** The HAL cast rule for a whole array (float → int truncates, int8/uint8 saturate, NaN → 0, bool is x != 0). */
const castAll = (values: Float64Array, to: DType) => (isFloat(to) ? values : values.map((v) => castValue(v, to)));

export const castCopyFillKernels: KernelRegistration<HostBuffer>[] = [
  kernel("cast", ({ inputs: [x], outputs: [y] }) => {
    storeValues(y!, castAll(loadValues(x!), y!.dtype));
  }),
  // The destination may itself be strided (a slice of a larger buffer): storeValues writes through its strides.
  kernel("copy", ({ inputs: [x], outputs: [y] }) => {
    storeValues(y!, loadValues(x!));
  }),
  kernel("fill", ({ outputs: [y], attrs }) => {
    storeValues(y!, new Float64Array(sizeOf(y!.shape)).fill(castValue(numAttr("fill", attrs, "value", 0), y!.dtype)));
  }),
  // Random fills follow the HAL's counter-based stream bit for bit: every step rounds to float32.
  kernel("randomUniform", ({ outputs: [y], attrs }) => {
    const seed = numAttr("randomUniform", attrs, "seed", 0);
    const low = f32(numAttr("randomUniform", attrs, "low", 0));
    const span = f32(f32(numAttr("randomUniform", attrs, "high", 1)) - low);
    const values = new Float64Array(sizeOf(y!.shape)).map((_, i) => f32(low + f32(span * randomUnit(seed, i))));
    storeValues(y!, castAll(values, y!.dtype));
  }),
  kernel("randomNormal", ({ outputs: [y], attrs }) => {
    const seed = numAttr("randomNormal", attrs, "seed", 0);
    const mean = f32(numAttr("randomNormal", attrs, "mean", 0));
    const std = f32(numAttr("randomNormal", attrs, "std", 1));
    const values = new Float64Array(sizeOf(y!.shape)).map((_, i) => f32(mean + f32(std * f32(randomStandardNormal(seed, i)))));
    storeValues(y!, castAll(values, y!.dtype));
  }),
];
