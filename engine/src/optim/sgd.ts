import { add, mul, sub } from "../ops/basic.ts";
import type { Tensor } from "../tensor.ts";
import { Optimizer } from "./optimizer.ts";

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** torch.optim.SGD, same update rule. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Iterable<Tensor>, opts: SgdOptions) {
    super(params, opts.lr);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
  }

  protected update(p: Tensor, grad: Tensor, state: Record<string, Tensor>): Tensor {
    let d = this.weightDecay ? add(grad, mul(p, this.weightDecay)) : grad;
    if (this.momentum) {
      const buf = state.momentum ? add(mul(state.momentum, this.momentum), mul(d, 1 - this.dampening)) : mul(d, 1);
      this.setState(state, "momentum", buf);
      d = this.nesterov ? add(d, mul(buf, this.momentum)) : buf;
    }
    return sub(p, mul(d, this.lr));
  }
}
