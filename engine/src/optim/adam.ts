import { add, div, mul, sqrt, sub } from "../ops/basic.ts";
import type { Tensor } from "../tensor.ts";
import { Optimizer } from "./optimizer.ts";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** torch.optim.Adam (L2 weight decay added to the gradient). */
export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** AdamW applies decay to the weights instead of the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, opts.lr ?? 1e-3);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
  }

  protected update(p: Tensor, grad: Tensor, state: Record<string, Tensor>): Tensor {
    const [b1, b2] = this.betas;
    const t = this.stepCount;
    let param = p;
    let g = grad;
    if (this.weightDecay) {
      if (this.decoupled) param = mul(p, 1 - this.lr * this.weightDecay);
      else g = add(grad, mul(p, this.weightDecay));
    }
    const m = state.m ? add(mul(state.m, b1), mul(g, 1 - b1)) : mul(g, 1 - b1);
    const v = state.v ? add(mul(state.v, b2), mul(mul(g, g), 1 - b2)) : mul(mul(g, g), 1 - b2);
    this.setState(state, "m", m);
    this.setState(state, "v", v);
    const stepSize = this.lr / (1 - b1 ** t);
    const denom = add(div(sqrt(v), Math.sqrt(1 - b2 ** t)), this.eps);
    return sub(param, mul(div(m, denom), stepSize));
  }
}

/** torch.optim.AdamW: decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 0.01 });
  }
}
