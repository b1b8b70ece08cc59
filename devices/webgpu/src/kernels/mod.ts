import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const modKernel = binaryKernel("mod", NUMERIC, { f32: (a, b) => `f_mod(${a}, ${b})`, i32: (a, b) => `i_mod(${a}, ${b})` });
