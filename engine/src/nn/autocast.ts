import { PolychipError } from "@polychip/hal";
import { autocasting, withAutocast } from "../ops/autocast.ts";

/**
 * Runs `fn` with autocast on, following torch.amp's op lists: matmul-like ops (matmul, linear, bmm,
 * conv1d, conv2d, convTranspose2d, scaledDotProductAttention — and so Linear, the conv layers and
 * MultiheadAttention) compute in float16 where the device has float16 kernels for them, reading
 * float32 weights (the master copy) through a cast, and return float16; reductions, softmax,
 * normalisation and losses (sum, prod, cumsum, cumprod, norm, exp, log, pow, softmax, logSoftmax,
 * layerNorm, groupNorm, softplus, crossEntropy, nllLoss, mseLoss, l1Loss, smoothL1Loss, klDiv,
 * binaryCrossEntropyWithLogits) compute in float32; binaryCrossEntropy is refused, as in torch.
 * Other ops run in their inputs' dtypes (mixed float16/float32 promote to float32). Gradients flow
 * through the casts, so the optimiser updates float32 weights; backward itself is never autocast.
 * Pair with optim.GradScaler so small float16 gradients do not underflow, and compute the loss
 * inside autocast too, as torch does (`autocast(() => crossEntropy(model.forward(x), y))`): called
 * outside it on float16 logits, the loss runs in float16, and a loss near 1 times the initial
 * scale 2^16 is infinite there.
 */
export function autocast<T>(fn: () => T, opts: { enabled?: boolean; dtype?: "float16" } = {}): T {
  const dtype = opts.dtype ?? "float16";
  if (dtype !== "float16") throw new PolychipError(`autocast: only float16 is supported, got ${String(dtype)}`);
  return withAutocast(opts.enabled === false ? undefined : dtype, () => {
    const out = fn();
    if (out instanceof Promise) throw new PolychipError("autocast: the callback must be synchronous (await outside autocast)");
    return out;
  });
}

export function isAutocastEnabled(): boolean {
  return autocasting();
}
