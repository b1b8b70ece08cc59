import { binaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const addKernel = binaryKernel("add", NUMERIC, { f32: (a, b) => `${a} + ${b}`, i32: (a, b) => `${a} + ${b}` });
