import { formatShape, isFloat, PolychipError, ShapeError } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import type { Tensor } from "../tensor.ts";
import { cast, eq, le, minimum, mul, where } from "./basic.ts";
import { arange, rand } from "./creation.ts";
import { cumsum } from "./cumulative.ts";
import { cat } from "./indexing.ts";
import { sum } from "./reduce.ts";
import { reshape, squeeze, unsqueeze } from "./shape.ts";

/** One draw per row of non-negative weights [N, C] -> [N, 1]: the first class whose running total passes u * total. */
function drawOnce(w: Tensor): Tensor {
  const c = w.shape[1]!;
  const cdf = cumsum(w, 1);
  const u = mul(rand([w.shape[0]!, 1], { device: w.device }), sum(w, 1, true));
  const below = sum(cast(le(cdf, u), "int32"), 1, true); // classes whose running total is still <= u
  return minimum(below, c - 1); // u rounding up to the total would point past the last class
}

/**
 * torch.multinomial: `numSamples` class indices per row of non-negative weights [C] or [N, C]
 * (they need not sum to 1), drawn from the global random stream (manualSeed); without replacement
 * a drawn class gets weight 0 for the row's later draws.
 */
export function multinomial(weights: Tensor, numSamples: number, replacement = false): Tensor {
  if (!isFloat(weights.dtype)) throw new PolychipError(`multinomial: weights must be floats, got ${weights.dtype}`);
  if (weights.ndim !== 1 && weights.ndim !== 2) throw new ShapeError(`multinomial: weights must be [C] or [N, C], got ${formatShape(weights.shape)}`);
  const c = weights.shape[weights.ndim - 1]!;
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new PolychipError(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  if (!replacement && numSamples > c) throw new PolychipError(`multinomial: cannot draw ${numSamples} samples from ${c} classes without replacement`);
  return noGrad(() => {
    let w = weights.ndim === 1 ? unsqueeze(weights, 0) : weights;
    const classes = reshape(arange(0, c, 1, { device: w.device }), [1, c]);
    const draws: Tensor[] = [];
    for (let s = 0; s < numSamples; s++) {
      const pick = drawOnce(w);
      draws.push(pick);
      if (!replacement) w = where(eq(classes, pick), 0, w);
    }
    const out = cat(draws, 1);
    return weights.ndim === 1 ? squeeze(out, 0) : out;
  });
}
