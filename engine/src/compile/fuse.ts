import type { StepProgram } from "./program.ts";
import { eagerSteps, type PlanStep } from "./plan.ts";

/** Groups elementwise chains into `fused` steps (filled in once the HAL's fused op lands). */
export function fusedSteps(program: StepProgram): PlanStep[] {
  return eagerSteps(program);
}
