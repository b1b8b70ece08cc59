import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const rsqrtKernel = unaryKernel("rsqrt", FLOATS, { f32: (x) => `f_rsqrt(${x})` });
