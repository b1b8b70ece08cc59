import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const sqrtKernel = unaryKernel("sqrt", FLOATS, { f32: (x) => `f_sqrt(${x})` });
