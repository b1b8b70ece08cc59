import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const minimumKernel = binaryKernel("minimum", NUMERIC, { f32: (a, b) => `f_min(${a}, ${b})`, i32: (a, b) => `min(${a}, ${b})` });
