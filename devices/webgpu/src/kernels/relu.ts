import { unaryKernel } from "../families/scalar-ops.ts";
import { NUMERIC } from "../families/registration.ts";

export const reluKernel = unaryKernel("relu", NUMERIC, { f32: (x) => `select(0.0f, ${x}, ${x} > 0.0f || is_nan(${x}))`, i32: (x) => `max(${x}, 0i)` });
