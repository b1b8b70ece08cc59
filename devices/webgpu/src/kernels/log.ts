import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const logKernel = unaryKernel("log", FLOATS, { f32: (x) => `f_log(${x})` });
