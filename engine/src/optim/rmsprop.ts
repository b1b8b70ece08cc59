import { add, div, mul, sqrt, sub } from "../ops/basic.ts";
import type { Tensor } from "../tensor.ts";
import { liveScalar } from "../compile/replay-hooks.ts";
import { Optimizer, type ParamGroup, type ParamsArg, type ParamState } from "./optimizer.ts";

export interface RmspropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

type RmspropGroupOptions = Required<RmspropOptions>;

/** torch.optim.RMSprop: divides by a running RMS of the gradient (eps added outside the root, as torch). */
export class RMSprop extends Optimizer<RmspropGroupOptions> {
  constructor(params: ParamsArg<RmspropGroupOptions>, opts: RmspropOptions = {}) {
    super(
      params,
      {
        lr: opts.lr ?? 1e-2,
        alpha: opts.alpha ?? 0.99,
        eps: opts.eps ?? 1e-8,
        weightDecay: opts.weightDecay ?? 0,
        momentum: opts.momentum ?? 0,
        centered: opts.centered ?? false,
      },
      "RMSprop",
    );
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<RmspropGroupOptions>): Tensor {
    const { alpha, eps, weightDecay, momentum, centered } = group;
    const g = weightDecay ? add(grad, mul(p, weightDecay)) : grad;
    const sq0 = state.buffers.squareAvg;
    const sq = sq0 ? add(mul(sq0, alpha), mul(mul(g, g), 1 - alpha)) : mul(mul(g, g), 1 - alpha);
    this.setState(state, "squareAvg", sq);
    let avg: Tensor;
    if (centered) {
      const ga0 = state.buffers.gradAvg;
      const ga = ga0 ? add(mul(ga0, alpha), mul(g, 1 - alpha)) : mul(g, 1 - alpha);
      this.setState(state, "gradAvg", ga);
      avg = add(sqrt(sub(sq, mul(ga, ga))), eps);
    } else {
      avg = add(sqrt(sq), eps);
    }
    if (momentum > 0) {
      const b0 = state.buffers.momentum;
      const buf = b0 ? add(mul(b0, momentum), div(g, avg)) : div(g, avg);
      this.setState(state, "momentum", buf);
      return sub(
        p,
        mul(
          buf,
          liveScalar(buf, () => group.lr),
        ),
      );
    }
    return sub(
      p,
      mul(
        div(g, avg),
        liveScalar(avg, () => group.lr),
      ),
    );
  }
}
