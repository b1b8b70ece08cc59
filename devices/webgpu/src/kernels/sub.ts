import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const subKernel = binaryKernel("sub", NUMERIC, { f32: (a, b) => `${a} - ${b}`, i32: (a, b) => `${a} - ${b}` });
