import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const roundKernel = unaryKernel("round", FLOATS, { f32: (x) => `round(${x})` });
