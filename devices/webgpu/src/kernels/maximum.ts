import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const maximumKernel = binaryKernel("maximum", NUMERIC, { f32: (a, b) => `f_max(${a}, ${b})`, i32: (a, b) => `max(${a}, ${b})` });
