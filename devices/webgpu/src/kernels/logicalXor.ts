import { binaryKernel } from "../families/scalar-ops.ts";
import { BOOLS } from "../families/registration.ts";

export const logicalXorKernel = binaryKernel("logicalXor", BOOLS, { bool: (a, b) => `${a} != ${b}` });
