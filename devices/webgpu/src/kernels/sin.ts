import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const sinKernel = unaryKernel("sin", FLOATS, { f32: (x) => `f_sin(${x})` });
