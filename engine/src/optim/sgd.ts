import { add, mul, sub } from "../ops/basic.ts";
import type { Tensor } from "../tensor.ts";
import { liveScalar } from "../compile/replay-hooks.ts";
import { Optimizer, type ParamGroup, type ParamsArg, type ParamState } from "./optimizer.ts";

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

type SgdGroupOptions = Required<SgdOptions>;

/** torch.optim.SGD, same update rule; every option may differ per parameter group. */
export class SGD extends Optimizer<SgdGroupOptions> {
  constructor(params: ParamsArg<SgdGroupOptions>, opts: SgdOptions) {
    super(
      params,
      { lr: opts.lr, momentum: opts.momentum ?? 0, dampening: opts.dampening ?? 0, weightDecay: opts.weightDecay ?? 0, nesterov: opts.nesterov ?? false },
      "SGD",
    );
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup<SgdGroupOptions>): Tensor {
    let d = g.weightDecay ? add(grad, mul(p, g.weightDecay)) : grad;
    if (g.momentum) {
      const prev = state.buffers.momentum;
      const buf = prev ? add(mul(prev, g.momentum), mul(d, 1 - g.dampening)) : mul(d, 1);
      this.setState(state, "momentum", buf);
      d = g.nesterov ? add(d, mul(buf, g.momentum)) : buf;
    }
    // The learning rate is read again when a compiled step is replayed (a scheduler changes it).
    return sub(
      p,
      mul(
        d,
        liveScalar(d, () => g.lr),
      ),
    );
  }
}
