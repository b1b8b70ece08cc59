import { unaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const absKernel = unaryKernel("abs", NUMERIC, { f32: (x) => `abs(${x})`, i32: (x) => `abs(${x})` });
