import { binaryKernel } from "../families/scalar-ops.ts";
import { BOOLS } from "../families/registration.ts";

export const logicalAndKernel = binaryKernel("logicalAnd", BOOLS, { bool: (a, b) => `${a} && ${b}` });
