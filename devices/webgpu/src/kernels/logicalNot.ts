import { unaryKernel } from "../families/scalar-ops.ts";
import { BOOLS } from "../families/registration.ts";

export const logicalNotKernel = unaryKernel("logicalNot", BOOLS, { bool: (x) => `!${x}` });
