import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const tanhKernel = unaryKernel("tanh", FLOATS, { f32: (x) => `f_tanh(${x})` });
