import { familyOf } from "../families/registration.ts";
import { binaryKernel, unaryKernel } from "../families/scalar-ops.ts";
import { ARITHMETIC_EXPRS, COMPARE_EXPRS, LOGICAL_BINARY_EXPRS, LOGICAL_UNARY_EXPRS, UNARY_EXPRS } from "../families/op-exprs.ts";

// Each op's WGSL expression lives in families/op-exprs.ts, shared with the fused kernel.
export const unary = familyOf(UNARY_EXPRS, unaryKernel);
export const arithmetic = familyOf(ARITHMETIC_EXPRS, binaryKernel);
export const compare = familyOf(COMPARE_EXPRS, binaryKernel);
export const logical = { ...familyOf(LOGICAL_UNARY_EXPRS, unaryKernel), ...familyOf(LOGICAL_BINARY_EXPRS, binaryKernel) };
