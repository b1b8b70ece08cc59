import type { Tensor } from "../tensor.ts";
import { isGradEnabled } from "./grad-mode.ts";

/** One recorded operation: its inputs and how to turn the output's gradient into theirs. */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** Gradients for each input (undefined where the input gets none), in engine ops. */
  readonly backward: (grad: Tensor) => readonly (Tensor | undefined)[];
}

export function needsGrad(inputs: readonly Tensor[]): boolean {
  return isGradEnabled() && inputs.some((t) => t.requiresGrad);
}

/** Records `out = name(inputs)` for autograd when any input requires a gradient. Returns `out`. */
export function record(name: string, out: Tensor, inputs: readonly Tensor[], backward: GradNode["backward"]): Tensor {
  if (needsGrad(inputs)) {
    out.requiresGrad = true;
    out.gradFn = { name, inputs, backward };
  }
  return out;
}
