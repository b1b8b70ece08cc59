import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const cosKernel = unaryKernel("cos", FLOATS, { f32: (x) => `f_cos(${x})` });
