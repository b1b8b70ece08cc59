import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const greaterKernel = binaryKernel("greater", NUMERIC, { f32: (a, b) => `!is_nan(${a}) && !is_nan(${b}) && ${a} > ${b}`, i32: (a, b) => `${a} > ${b}` });
