import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const erfKernel = unaryKernel("erf", FLOATS, { f32: (x) => `f_erf(${x})` });
