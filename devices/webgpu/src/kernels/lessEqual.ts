import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const lessEqualKernel = binaryKernel("lessEqual", NUMERIC, { f32: (a, b) => `!is_nan(${a}) && !is_nan(${b}) && ${a} <= ${b}`, i32: (a, b) => `${a} <= ${b}` });
