import { unaryKernel } from "../families/scalar-ops.ts";
import { FLOATS } from "../families/registration.ts";

export const sigmoidKernel = unaryKernel("sigmoid", FLOATS, { f32: (x) => `f_sigmoid(${x})` });
