import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const divKernel = binaryKernel("div", NUMERIC, { f32: (a, b) => `f_div(${a}, ${b})`, i32: (a, b) => `i_div(${a}, ${b})` });
