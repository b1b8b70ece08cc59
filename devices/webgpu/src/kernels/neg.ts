import { unaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

// The HAL leaves uint8 out of neg.
const NEG_TYPES = NUMERIC.filter((d) => d !== "uint8");

export const negKernel = unaryKernel("neg", NEG_TYPES, { f32: (x) => `-${x}`, i32: (x) => `-${x}` });
