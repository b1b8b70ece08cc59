import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const mulKernel = binaryKernel("mul", NUMERIC, { f32: (a, b) => `${a} * ${b}`, i32: (a, b) => `${a} * ${b}` });
