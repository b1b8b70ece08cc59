import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const ceilKernel = unaryKernel("ceil", FLOATS, { f32: (x) => `ceil(${x})` });
