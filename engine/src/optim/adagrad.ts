import { add, div, mul, sqrt, sub } from "../ops/basic.ts";
import type { Tensor } from "../tensor.ts";
import { liveScalar } from "../compile/replay-hooks.ts";
import { Optimizer, type ParamGroup, type ParamsArg, type ParamState } from "./optimizer.ts";

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

type AdagradGroupOptions = Required<AdagradOptions>;

/** torch.optim.Adagrad: per-element rates from the running sum of squared gradients. */
export class Adagrad extends Optimizer<AdagradGroupOptions> {
  constructor(params: ParamsArg<AdagradGroupOptions>, opts: AdagradOptions = {}) {
    super(
      params,
      {
        lr: opts.lr ?? 1e-2,
        lrDecay: opts.lrDecay ?? 0,
        weightDecay: opts.weightDecay ?? 0,
        initialAccumulatorValue: opts.initialAccumulatorValue ?? 0,
        eps: opts.eps ?? 1e-10,
      },
      "Adagrad",
    );
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<AdagradGroupOptions>): Tensor {
    const { weightDecay, initialAccumulatorValue, eps } = group;
    const g = weightDecay ? add(grad, mul(p, weightDecay)) : grad;
    const sum0 = state.buffers.sum;
    const acc = add(sum0 ?? initialAccumulatorValue, mul(g, g));
    this.setState(state, "sum", acc);
    const clr = liveScalar(acc, () => group.lr / (1 + (state.step - 1) * group.lrDecay));
    return sub(p, mul(div(g, add(sqrt(acc), eps)), clr));
  }
}
