import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const fmodKernel = binaryKernel("fmod", NUMERIC, { f32: (a, b) => `f_fmod(${a}, ${b})`, i32: (a, b) => `i_fmod(${a}, ${b})` });
