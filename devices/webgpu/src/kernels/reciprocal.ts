import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const reciprocalKernel = unaryKernel("reciprocal", FLOATS, { f32: (x) => `f_div(1.0f, ${x})` });
