import { unaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const signKernel = unaryKernel("sign", NUMERIC, { f32: (x) => `f_sign(${x})`, i32: (x) => `sign(${x})` });
