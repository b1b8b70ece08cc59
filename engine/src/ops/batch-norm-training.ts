import { runOp } from "../core/dispatch.ts";
import { activeLazyRecorder } from "../core/lazy-hook.ts";
import { recordGradient } from "../tape/node.ts";
import { activeRecorder } from "../tape/trace-hook.ts";
import { Tensor } from "../tensor.ts";
import type { GradientRule } from "../autograd/gradients.ts";
import { autocasting } from "./autocast.ts";

export interface BatchStatistics {
  readonly y: Tensor;
  /** The batch's per-channel mean and biased variance ([C] from the composite, [1, C, 1, ...] from the primitive formula). */
  readonly mean: Tensor;
  readonly variance: Tensor;
}

/**
 * Training batch norm as the one HAL composite `batchNormTraining` (its gradient one
 * `batchNormTrainingGrad`), where a compiled step is being recorded: the plan then makes a few
 * passes over the activation instead of the ~20 elementwise ops and reductions of the primitive
 * formula and its autograd. Eager code keeps the primitive formula, op for op. Undefined where
 * the composite does not apply (no affine parameters, float16 or autocast, a trace recording).
 */
export function recordedBatchNormTraining(x: Tensor, weight: Tensor | undefined, bias: Tensor | undefined, epsilon: number): BatchStatistics | undefined {
  // A trace running inside the step records the primitive formula, which every exporter knows.
  if (!activeLazyRecorder() || activeRecorder() || !weight || !bias || autocasting() || x.ndim < 2) return undefined;
  if (x.dtype !== "float32" || weight.dtype !== "float32" || bias.dtype !== "float32") return undefined;
  const [y, mean, variance] = runOp("batchNormTraining", [x.view, weight.view, bias.view], { epsilon }).map((v) => new Tensor(v)) as [Tensor, Tensor, Tensor];
  // mean and variance ride along as inputs so the gradient rule can read them; they need no gradient themselves.
  recordGradient("batchNormTraining", y, [x, weight, bias, mean, variance], { epsilon });
  return { y, mean, variance };
}

/** dx, dweight, dbias in one `batchNormTrainingGrad` launch. */
export const batchNormTrainingGradient: GradientRule = (g, { inputs, attrs }) => {
  const [x, weight, , mean, variance] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor];
  const [dx, dweight, dbias] = runOp("batchNormTrainingGrad", [g.view, x.view, weight.view, mean.view, variance.view], { epsilon: attrs.epsilon }).map(
    (v) => new Tensor(v),
  );
  return [dx, dweight, dbias, undefined, undefined];
};
