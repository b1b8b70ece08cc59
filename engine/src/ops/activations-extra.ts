import { formatShape, normalizeAxis, PolychipError, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { abs, add, div, exp, ge, gt, le, lt, mul, neg, sigmoid, sub, tanh, where } from "./basic.ts";
import { softmax, softplus } from "./nn-functional.ts";
import { reshape, slice } from "./shape.ts";

/**
 * torch.nn.functional's activations, each composed from engine ops so that autograd, every device,
 * compile(), tracing and ONNX export need nothing new. Where torch picks a particular gradient at a
 * kink (hardtanh's bounds, hardswish's ±3), the branch conditions are chosen to give the same one.
 */

/** x where x > 0, else negativeSlope * x (the gradient at 0 is the slope, as torch). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return where(gt(x, 0), x, mul(x, negativeSlope));
}

/** x * sigmoid(x), also called swish. */
export function silu(x: Tensor): Tensor {
  return mul(x, sigmoid(x));
}

/**
 * `negative(x)` where x <= 0, else x. The negative branch sees 0 in place of positive x, so an
 * exp there cannot overflow: where's zero gradient times an infinite local one would be NaN.
 */
function positiveOr(x: Tensor, negative: (xNeg: Tensor) => Tensor): Tensor {
  const positive = gt(x, 0);
  return where(positive, x, negative(where(positive, 0, x)));
}

/** x where x > 0, else alpha * (exp(x) - 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  return positiveOr(x, (n) => mul(sub(exp(n), 1), alpha));
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** scale * elu(x, alpha) with the self-normalising constants. */
export function selu(x: Tensor): Tensor {
  return mul(elu(x, SELU_ALPHA), SELU_SCALE);
}

/** x where x > 0, else alpha * (exp(x / alpha) - 1). */
export function celu(x: Tensor, alpha = 1): Tensor {
  if (alpha === 0) throw new PolychipError("celu: alpha must not be zero");
  return positiveOr(x, (n) => mul(sub(exp(div(n, alpha)), 1), alpha));
}

/** clamp(x, min, max) whose gradient is zero at the bounds themselves (torch's hardtanh, unlike clamp). */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  if (!(minVal <= maxVal)) throw new PolychipError(`hardtanh: minVal ${minVal} must not exceed maxVal ${maxVal}`);
  return where(le(x, minVal), minVal, where(ge(x, maxVal), maxVal, x));
}

/** min(max(x, 0), 6). */
export function relu6(x: Tensor): Tensor {
  return hardtanh(x, 0, 6);
}

/** 0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between. */
export function hardsigmoid(x: Tensor): Tensor {
  return where(le(x, -3), 0, where(ge(x, 3), 1, add(div(x, 6), 0.5)));
}

/**
 * x * hardsigmoid(x), gradient x / 3 + 1/2 on [-3, 3). At exactly 3 torch 1.13's vectorised CPU
 * kernel (which all but a tensor's last few elements take) gives 1 and its scalar tail 1.5; this follows the former.
 */
export function hardswish(x: Tensor): Tensor {
  return where(lt(x, -3), 0, where(lt(x, 3), div(mul(x, add(x, 3)), 6), x));
}

/** x * tanh(softplus(x)). */
export function mish(x: Tensor): Tensor {
  return mul(x, tanh(softplus(x)));
}

/** log(sigmoid(x)) = -softplus(-x), stable for large |x|. */
export function logSigmoid(x: Tensor): Tensor {
  return neg(softplus(neg(x)));
}

/** x / (1 + |x|). */
export function softsign(x: Tensor): Tensor {
  return div(x, add(abs(x), 1));
}

/** softmax(-x) along `dim`. */
export function softmin(x: Tensor, dim = -1): Tensor {
  return softmax(neg(x), dim);
}

/** Gated linear unit: the first half of `dim` times the sigmoid of the second half. */
export function glu(x: Tensor, dim = -1): Tensor {
  if (x.ndim === 0) throw new ShapeError("glu: needs at least one dim, got a scalar");
  const axis = normalizeAxis("glu", dim, x.ndim);
  const n = x.shape[axis]!;
  if (n % 2 !== 0) throw new ShapeError(`glu: dim ${dim} of input ${formatShape(x.shape)} has odd size ${n}; it must split into two halves`);
  return mul(slice(x, axis, 0, n / 2), sigmoid(slice(x, axis, n / 2, n)));
}

/**
 * x where x > 0, else weight * x, with one learnable slope (weight [1]) or one per channel
 * (weight [C], channels on dim 1; inputs under 2-D have one channel), as torch.nn.functional.prelu.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  const slopes = weight.size;
  if (weight.ndim > 1) throw new ShapeError(`prelu: weight must be [1] or [C], got ${formatShape(weight.shape)}`);
  const channels = x.ndim >= 2 ? x.shape[1]! : 1;
  if (slopes !== 1 && slopes !== channels) {
    throw new ShapeError(
      `prelu: weight ${formatShape(weight.shape)} must hold 1 slope or one per channel (${channels} on dim 1 of input ${formatShape(x.shape)})`,
    );
  }
  const w =
    slopes === 1
      ? reshape(weight, [])
      : reshape(
          weight,
          x.shape.map((d, i) => (i === 1 ? d : 1)),
        );
  return where(gt(x, 0), x, mul(x, w));
}
