import type { Attrs } from "../../device.ts";
import { sizeOf } from "../../shape.ts";
import { numAttr } from "../attrs.ts";
import type { DecompositionContext } from "../types.ts";
import { DEFAULT_EPSILON } from "./layerNorm.ts";

/** Every dim but the channel dim 1, as [C] parameters broadcast against [N, C, ...]. */
function channelGeometry<V>(ctx: DecompositionContext<V>, x: V) {
  const { shape, dtype } = ctx.meta(x);
  const axes = shape.map((_, i) => i).filter((i) => i !== 1);
  const perChannel = shape.map((d, i) => (i === 1 ? d : 1));
  const count = sizeOf(shape) / (shape[1] ?? 1);
  return { dtype, axes, perChannel, count, channels: shape[1] ?? 1 };
}

/**
 * Training batch norm: the batch's per-channel mean and biased variance (two passes, the second
 * over x - mean), then the inference normalisation with them. Outputs y, mean [C], variance [C].
 */
export function batchNormTraining<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const [x, weight, bias] = inputs as [V, V, V];
  const { dtype, axes, count, channels } = channelGeometry(ctx, x);
  const n = ctx.constant([count], [], dtype);
  const mean = ctx.call("div", [ctx.call("reduceSum", [x], { axes, keepDims: true }), n]);
  const centred = ctx.call("sub", [x, mean]);
  const variance = ctx.call("div", [ctx.call("reduceSum", [ctx.call("mul", [centred, centred])], { axes, keepDims: true }), n]);
  const flatMean = ctx.reshape(mean, [channels]);
  const flatVariance = ctx.reshape(variance, [channels]);
  const epsilon = numAttr("batchNormTraining", attrs, "epsilon", DEFAULT_EPSILON);
  const y = ctx.call("batchNorm", [x, weight, bias, flatMean, flatVariance], { epsilon });
  return [y, flatMean, flatVariance];
}

/**
 * batchNormTraining with relu applied to y: the same mean and variance, y = relu(normalised). A
 * compiled training step runs a batch norm followed by a relu as this one composite (engine
 * compile/), so a device with a kernel for it writes the activation once instead of twice.
 */
export function batchNormTrainingRelu<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const [y, mean, variance] = batchNormTraining(ctx, inputs, attrs) as [V, V, V];
  return [ctx.call("relu", [y]), mean, variance];
}

/**
 * The gradient of batchNormTraining from the forward's mean and variance, with two reductions
 * (sum g, sum g·(x - mean)) instead of autograd's walk through every primitive:
 * dx = A·g + B·(x - mean) + K per channel, A = w·invstd, B = -A·invstd²·Σg(x-mean)/n, K = -A·Σg/n;
 * dweight = invstd·Σg(x-mean), dbias = Σg. Outputs dx, dweight [C], dbias [C].
 */
export function batchNormTrainingGrad<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const [g, x, weight, mean, variance] = inputs as [V, V, V, V, V];
  const { dtype, axes, perChannel, count, channels } = channelGeometry(ctx, x);
  const channel = (v: V) => ctx.reshape(v, perChannel);
  const scalar = (value: number) => ctx.constant([value], [], dtype);
  const epsilon = numAttr("batchNormTrainingGrad", attrs, "epsilon", DEFAULT_EPSILON);
  const invstd = ctx.call("reciprocal", [ctx.call("sqrt", [ctx.call("add", [channel(variance), scalar(epsilon)])])]);
  const centred = ctx.call("sub", [x, channel(mean)]);
  const sumG = ctx.call("reduceSum", [g], { axes, keepDims: true });
  const sumGC = ctx.call("reduceSum", [ctx.call("mul", [g, centred])], { axes, keepDims: true });
  const a = ctx.call("mul", [channel(weight), invstd]);
  const b = ctx.call("neg", [ctx.call("div", [ctx.call("mul", [ctx.call("mul", [a, ctx.call("mul", [invstd, invstd])]), sumGC]), scalar(count)])]);
  const k = ctx.call("neg", [ctx.call("div", [ctx.call("mul", [a, sumG]), scalar(count)])]);
  const dx = ctx.call("add", [ctx.call("add", [ctx.call("mul", [g, a]), ctx.call("mul", [centred, b])]), k]);
  return [dx, ctx.reshape(ctx.call("mul", [sumGC, invstd]), [channels]), ctx.reshape(sumG, [channels])];
}

/**
 * The gradient of batchNormTrainingRelu from the gradient of its output: the relu's mask recomputed
 * as batchNorm(x) > 0 with the forward's statistics (the very op and inputs its y came from, so the
 * same booleans), then batchNormTrainingGrad of the masked gradient. Inputs gradY, x, scale, bias,
 * mean, variance; outputs dx, dscale [C], dbias [C].
 */
export function batchNormTrainingReluGrad<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const [g, x, weight, bias, mean, variance] = inputs as [V, V, V, V, V, V];
  const { dtype } = channelGeometry(ctx, x);
  const epsilon = numAttr("batchNormTrainingReluGrad", attrs, "epsilon", DEFAULT_EPSILON);
  const y = ctx.call("batchNorm", [x, weight, bias, mean, variance], { epsilon });
  const mask = ctx.call("cast", [ctx.call("greater", [y, ctx.constant([0], [], dtype)])], { to: dtype });
  return batchNormTrainingGrad(ctx, [ctx.call("mul", [g, mask]), x, weight, mean, variance], { epsilon });
}
