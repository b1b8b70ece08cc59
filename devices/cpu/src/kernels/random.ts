import { numAttr, randomStandardNormal, randomUnit } from "@polychip/hal";
import { converterTo } from "../convert.ts";
import { openOutput } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

const f32 = Math.fround;

/**
 * Random fills from the HAL's counter-based stream: element i depends only on (attrs.seed, i).
 * uniform = low + (high - low) * u with every step rounded to float32, as a float32 device without
 * fused multiply-add computes it, so other devices can match bit for bit. Integer outputs follow the cast rule.
 */
export const randomKernels: CpuRegistration[] = [
  cpuKernel("randomUniform", ({ outputs: [y], attrs }) => {
    const seed = numAttr("randomUniform", attrs, "seed", 0);
    const low = f32(numAttr("randomUniform", attrs, "low", 0));
    const high = f32(numAttr("randomUniform", attrs, "high", 1));
    const span = f32(high - low);
    const convert = converterTo(y!.dtype);
    const out = openOutput(y!);
    const v = out.values;
    for (let i = 0; i < v.length; i++) v[i] = convert(f32(low + f32(span * randomUnit(seed, i))));
    out.commit();
  }),
  cpuKernel("randomNormal", ({ outputs: [y], attrs }) => {
    const seed = numAttr("randomNormal", attrs, "seed", 0);
    const mean = f32(numAttr("randomNormal", attrs, "mean", 0));
    const std = f32(numAttr("randomNormal", attrs, "std", 1));
    const convert = converterTo(y!.dtype);
    const out = openOutput(y!);
    const v = out.values;
    for (let i = 0; i < v.length; i++) v[i] = convert(f32(mean + f32(std * f32(randomStandardNormal(seed, i)))));
    out.commit();
  }),
];
