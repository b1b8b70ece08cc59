import { binaryKernel } from "../families/scalar-ops.ts";
import { BOOLS } from "../families/registration.ts";

export const logicalOrKernel = binaryKernel("logicalOr", BOOLS, { bool: (a, b) => `${a} || ${b}` });
