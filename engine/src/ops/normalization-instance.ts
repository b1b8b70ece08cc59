import { formatShape, ShapeError } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import type { Tensor } from "../tensor.ts";
import { add, div, mul, rsqrt, sqrt, sub } from "./basic.ts";
import { mean } from "./reduce.ts";
import { reshape } from "./shape.ts";
import { autocasting, inFloat32 } from "./autocast.ts";

/**
 * torch.nn.functional.instance_norm on [N, C, ...]: each (sample, channel) normalised over its own
 * positions. With running statistics and useInputStats, they move by `momentum` towards the batch
 * average of the per-instance mean and unbiased variance (torch's update); without useInputStats the
 * running statistics normalise instead.
 */
export function instanceNorm(
  x: Tensor,
  runningMean?: Tensor,
  runningVar?: Tensor,
  weight?: Tensor,
  bias?: Tensor,
  useInputStats = true,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  if (autocasting()) return inFloat32(instanceNorm, x, runningMean, runningVar, weight, bias, useInputStats, momentum, eps);
  if (x.ndim < 3) throw new ShapeError(`instanceNorm: expects [N, C, ...] with at least one spatial dim, got ${formatShape(x.shape)}`);
  const c = x.shape[1]!;
  for (const [name, t] of [
    ["runningMean", runningMean],
    ["runningVar", runningVar],
    ["weight", weight],
    ["bias", bias],
  ] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== c))
      throw new ShapeError(`instanceNorm: ${name} must be [${c}] for input ${formatShape(x.shape)}, got ${formatShape(t.shape)}`);
  }
  const perChannel = x.shape.map((d, i) => (i === 1 ? d : 1));
  let y: Tensor;
  if (useInputStats) {
    const spatial = [...Array(x.ndim - 2).keys()].map((i) => i + 2);
    const mu = mean(x, spatial, true);
    const centered = sub(x, mu);
    const v = mean(mul(centered, centered), spatial, true);
    y = div(centered, sqrt(add(v, eps)));
    if (runningMean && runningVar) updateRunning(runningMean, runningVar, mu, v, x.size / (x.shape[0]! * c), momentum);
  } else {
    if (!runningMean || !runningVar) throw new ShapeError("instanceNorm: useInputStats false needs running mean and variance");
    y = div(sub(x, reshape(runningMean, perChannel)), sqrt(add(reshape(runningVar, perChannel), eps)));
  }
  if (weight) y = mul(y, reshape(weight, perChannel));
  if (bias) y = add(y, reshape(bias, perChannel));
  return y;
}

/** running ← (1 - m) running + m · (batch mean of the per-instance statistic), variance unbiased over `count` positions. */
function updateRunning(runningMean: Tensor, runningVar: Tensor, mu: Tensor, v: Tensor, count: number, momentum: number): void {
  noGrad(() => {
    const c = runningMean.shape[0]!;
    const batchMean = reshape(mean(mu, 0), [c]);
    const batchVar = reshape(mean(v, 0), [c]);
    const newMean = add(mul(runningMean, 1 - momentum), mul(batchMean, momentum));
    const newVar = add(mul(runningVar, 1 - momentum), mul(batchVar, (momentum * count) / Math.max(count - 1, 1)));
    runningMean.assign(newMean);
    runningVar.assign(newVar);
    newMean.dispose();
    newVar.dispose();
  });
}

/** float32's machine epsilon, RMSNorm's default as torch.finfo(float32).eps (float16: 2^-10). */
const EPS_OF = { float32: 2 ** -23, float16: 2 ** -10 } as const;

/**
 * RMS norm over the trailing `normalizedShape` dims (torch.nn.functional.rms_norm, torch 2.4):
 * x / sqrt(mean(x²) + eps) * weight; eps defaults to the dtype's machine epsilon.
 */
export function rmsNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor, eps?: number): Tensor {
  if (autocasting()) return inFloat32(rmsNorm, x, normalizedShape, weight, eps);
  const axis = x.ndim - normalizedShape.length;
  if (normalizedShape.length === 0 || axis < 0 || normalizedShape.some((d, i) => x.shape[axis + i] !== d))
    throw new ShapeError(`rmsNorm: normalized shape ${formatShape(normalizedShape)} does not match the end of input ${formatShape(x.shape)}`);
  if (weight && formatShape(weight.shape) !== formatShape(normalizedShape))
    throw new ShapeError(`rmsNorm: weight must be ${formatShape(normalizedShape)}, got ${formatShape(weight.shape)}`);
  const e = eps ?? EPS_OF[x.dtype as keyof typeof EPS_OF] ?? EPS_OF.float32;
  const axes = normalizedShape.map((_, i) => axis + i);
  const y = mul(x, rsqrt(add(mean(mul(x, x), axes, true), e)));
  return weight ? mul(y, weight) : y;
}
