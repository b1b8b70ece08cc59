/**
 * exp, sigmoid and tanh as steps of the generated fused WASM programs (wasm/kernels/fused.ts, the
 * GEMM epilogues): each float32 lane is widened to float64, run through the function that
 * returns Math's double (math-exact.ts) and rounded to float32 once — what the HAL's scalar op and
 * the float32 store do — so a fused program with these steps equals the eager ops bit for bit.
 */
import type { FusedStep } from "@polychip/hal";
import type { Code, FunctionBuilder, ModuleBuilder } from "./encoder.ts";
import { call, f32, f32x4, f64, get, set } from "./instructions.ts";
import { emitExactMath } from "./math-exact.ts";

/** Ops these forms add to the fused emitter. */
export const FUSED_MATH_OPS: readonly string[] = ["exp", "sigmoid", "tanh"];

/** Vector (f32x4, with a v128 scratch local) and scalar (f32, with an f32 scratch local) code for one step. */
export interface MathForm {
  readonly v: (args: Code[], temp: number) => Code;
  readonly s: (args: Code[], temp: number) => Code;
}

/** f32x4.replace_lane (SIMD opcode 0x20): `vector` with lane `lane` set to the f32 `value`. */
const replaceLane = (vector: Code, lane: number, value: Code): Code => [vector, value, 0xfd, 0x20, lane];

function formOf(f64fn: FunctionBuilder): MathForm {
  const scalar = (x: Code): Code => f32.demote_f64(call(f64fn, f64.promote_f32(x)));
  return {
    s: ([a]) => scalar(a!),
    v: ([a], t) => [set(t, a!), [0, 1, 2, 3].map((lane) => set(t, replaceLane(get(t), lane, scalar(f32x4.extractLane(get(t), lane))))), get(t)],
  };
}

/**
 * The forms for FUSED_MATH_OPS, their float64 functions declared in `mod` when some step of
 * `steps` uses one (declare before the module is encoded); none otherwise.
 */
export function fusedMathForms(mod: ModuleBuilder, steps: readonly FusedStep[]): Readonly<Record<string, MathForm>> {
  if (!steps.some((s) => FUSED_MATH_OPS.includes(s.op))) return {};
  const math = emitExactMath(mod);
  return { exp: formOf(math.exp), sigmoid: formOf(math.sigmoid), tanh: formOf(math.tanh) };
}
