import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const isNaNKernel = unaryKernel("isNaN", FLOATS, { f32: (x) => `is_nan(${x})` });
