import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const expKernel = unaryKernel("exp", FLOATS, { f32: (x) => `f_exp(${x})` });
