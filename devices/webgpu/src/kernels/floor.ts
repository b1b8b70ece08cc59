import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const floorKernel = unaryKernel("floor", FLOATS, { f32: (x) => `floor(${x})` });
