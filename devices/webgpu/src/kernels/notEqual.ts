import { binaryKernel } from "../families/scalar-ops.ts";
import { ALL } from "../families/registration.ts";

export const notEqualKernel = binaryKernel("notEqual", ALL, { f32: (a, b) => `is_nan(${a}) || is_nan(${b}) || ${a} != ${b}`, i32: (a, b) => `${a} != ${b}`, bool: (a, b) => `${a} != ${b}` });
