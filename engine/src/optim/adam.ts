import { add, div, mul, sqrt, sub } from "../ops/basic.ts";
import type { Tensor } from "../tensor.ts";
import { liveScalar } from "../compile/replay-hooks.ts";
import { Optimizer, type ParamGroup, type ParamsArg, type ParamState } from "./optimizer.ts";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

type AdamGroupOptions = Required<AdamOptions>;

/** torch.optim.Adam (L2 weight decay added to the gradient); options may differ per parameter group. */
export class Adam extends Optimizer<AdamGroupOptions> {
  /** AdamW applies decay to the weights instead of the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: ParamsArg<AdamGroupOptions>, opts: AdamOptions = {}, name = "Adam") {
    super(params, { lr: opts.lr ?? 1e-3, betas: opts.betas ?? [0.9, 0.999], eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? 0 }, name);
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<AdamGroupOptions>): Tensor {
    const { eps, weightDecay } = group;
    const [b1, b2] = group.betas;
    let param = p;
    let g = grad;
    if (weightDecay) {
      if (this.decoupled)
        param = mul(
          p,
          liveScalar(p, () => 1 - group.lr * group.weightDecay),
        );
      else g = add(grad, mul(p, weightDecay));
    }
    const { m: m0, v: v0 } = state.buffers;
    const m = m0 ? add(mul(m0, b1), mul(g, 1 - b1)) : mul(g, 1 - b1);
    const v = v0 ? add(mul(v0, b2), mul(mul(g, g), 1 - b2)) : mul(mul(g, g), 1 - b2);
    this.setState(state, "m", m);
    this.setState(state, "v", v);
    // The learning rate and the bias corrections change between steps: a replayed compiled step reads them again.
    const stepSize = liveScalar(m, () => group.lr / (1 - group.betas[0] ** state.step));
    const denom = add(
      div(
        sqrt(v),
        liveScalar(v, () => Math.sqrt(1 - group.betas[1] ** state.step)),
      ),
      eps,
    );
    return sub(param, mul(div(m, denom), stepSize));
  }
}

/** torch.optim.AdamW: decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(params: ParamsArg<AdamGroupOptions>, opts: AdamOptions = {}) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 0.01 }, "AdamW");
  }
}
