import { binaryKernel } from "../families/scalar-ops.ts";
import { ALL } from "../families/registration.ts";

export const equalKernel = binaryKernel("equal", ALL, { f32: (a, b) => `!is_nan(${a}) && ${a} == ${b}`, i32: (a, b) => `${a} == ${b}`, bool: (a, b) => `${a} == ${b}` });
