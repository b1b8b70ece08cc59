import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const greaterEqualKernel = binaryKernel("greaterEqual", NUMERIC, { f32: (a, b) => `!is_nan(${a}) && !is_nan(${b}) && ${a} >= ${b}`, i32: (a, b) => `${a} >= ${b}` });
