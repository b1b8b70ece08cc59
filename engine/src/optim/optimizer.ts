import { PolychipError } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import { keep, tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";

/** Base of every optimiser: owns per-parameter state and applies updates in place (Tensor.assign). */
export abstract class Optimizer {
  readonly params: Tensor[];
  lr: number;
  protected stepCount = 0;
  private readonly state = new Map<Tensor, Record<string, Tensor>>();

  constructor(params: Iterable<Tensor>, lr: number) {
    this.params = [...params];
    if (!(lr >= 0)) throw new PolychipError(`optimizer: learning rate must be >= 0, got ${lr}`);
    this.lr = lr;
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    this.stepCount++;
    noGrad(() => {
      for (const p of this.params) {
        if (!p.grad) continue;
        tidy(() => {
          const next = this.update(p, p.grad!, this.stateOf(p));
          p.assign(next);
        });
      }
    });
  }

  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** The new value of `p`; may replace entries of `state` (they are kept alive here). */
  protected abstract update(p: Tensor, grad: Tensor, state: Record<string, Tensor>): Tensor;

  protected setState(state: Record<string, Tensor>, key: string, value: Tensor): void {
    const old = state[key];
    state[key] = keep(value);
    if (old && old !== value) old.dispose();
  }

  private stateOf(p: Tensor): Record<string, Tensor> {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    return s;
  }

  /** Frees optimiser state (momentum buffers, moments). */
  dispose(): void {
    for (const s of this.state.values()) for (const t of Object.values(s)) t.dispose();
    this.state.clear();
  }
}
