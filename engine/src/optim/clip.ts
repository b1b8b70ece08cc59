import { PolychipError } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import { abs, clamp, div, mul, pow } from "../ops/basic.ts";
import { full } from "../ops/creation.ts";
import { max, sum } from "../ops/reduce.ts";
import { stack } from "../ops/indexing.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";

const withGrads = (params: Iterable<Tensor>): Tensor[] => [...params].filter((p) => p.grad);

/**
 * Scales every gradient by one factor so that their joint `normType`-norm is at most `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_. Returns the norm before clipping (a 0-d tensor: read it with await item()).
 */
export function clipGradNorm_(params: Iterable<Tensor>, maxNorm: number, normType = 2): Tensor {
  if (!(maxNorm >= 0)) throw new PolychipError(`clipGradNorm_: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new PolychipError(`clipGradNorm_: normType must be > 0 or Infinity, got ${normType}`);
  const ps = withGrads(params);
  if (ps.length === 0) return full([], 0);
  return noGrad(() => {
    const total = tidy(() => {
      if (normType === Infinity) return max(stack(ps.map((p) => max(abs(p.grad!)))));
      const parts = ps.map((p) => sum(pow(abs(p.grad!), normType)));
      return pow(sum(stack(parts)), 1 / normType);
    });
    tidy(() => {
      const coef = clamp(div(maxNorm, total.add(1e-6)), undefined, 1);
      for (const p of ps) p.grad!.assign(mul(p.grad!, coef));
    });
    return total;
  });
}

/** Clamps every gradient element to [-clipValue, clipValue], as torch.nn.utils.clip_grad_value_. */
export function clipGradValue_(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new PolychipError(`clipGradValue_: clipValue must be >= 0, got ${clipValue}`);
  noGrad(() =>
    tidy(() => {
      for (const p of withGrads(params)) p.grad!.assign(clamp(p.grad!, -clipValue, clipValue));
    }),
  );
}
