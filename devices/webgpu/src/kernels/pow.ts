import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const powKernel = binaryKernel("pow", NUMERIC, { f32: (a, b) => `f_pow(${a}, ${b})`, i32: (a, b) => `i_pow(${a}, ${b})` });
