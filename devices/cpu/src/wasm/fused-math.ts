/**
 * exp, sigmoid, tanh and erf as steps of the generated fused WASM programs (wasm/kernels/fused.ts,
 * the GEMM epilogues): each float32 lane is widened to float64, run through the function that
 * returns Math's double (math-exact.ts; for erf the HAL's double, math-exact-erf.ts; four lanes at
 * a time by math-exact-simd.ts) and rounded to float32 once — what the HAL's scalar op and the float32 store do — so a fused program with
 * these steps equals the eager ops bit for bit.
 */
import type { FusedStep } from "@polychip/hal";
import type { Code, FunctionBuilder, ModuleBuilder } from "./encoder.ts";
import { call, f32, f64 } from "./instructions.ts";
import { emitExactMath } from "./math-exact.ts";
import { emitExactErf } from "./math-exact-erf.ts";
import { emitExactMathSimd, type SimdMathName } from "./math-exact-simd.ts";

/** Ops these forms add to the fused emitter. */
export const FUSED_MATH_OPS: readonly SimdMathName[] = ["exp", "sigmoid", "tanh", "erf"];

/** Vector (f32x4) and scalar (f32) code for one step, the shape of the emitter's forms. */
export interface MathForm {
  readonly v: (args: Code[], temp: number) => Code;
  readonly s: (args: Code[], temp: number) => Code;
}

function formOf(scalarFn: FunctionBuilder, vectorFn: FunctionBuilder): MathForm {
  return { s: ([a]) => f32.demote_f64(call(scalarFn, f64.promote_f32(a!))), v: ([a]) => call(vectorFn, a!) };
}

/**
 * The forms for the FUSED_MATH_OPS that `steps` use, their functions declared in `mod` (call
 * before the module is encoded); none when no step uses one.
 */
export function fusedMathForms(mod: ModuleBuilder, steps: readonly FusedStep[]): Readonly<Record<string, MathForm>> {
  const used = FUSED_MATH_OPS.filter((op) => steps.some((s) => s.op === op));
  if (used.length === 0) return {};
  // erf's own module part (a table) only where it is used, and the exp family only where that is.
  const math = used.some((op) => op !== "erf") ? emitExactMath(mod) : undefined;
  const scalar = (op: SimdMathName): FunctionBuilder => (op === "erf" ? emitExactErf(mod) : math![op]);
  return Object.fromEntries(used.map((op) => [op, formOf(scalar(op), emitExactMathSimd(mod, op).f32x4)]));
}
