import { PolychipError } from "@polychip/hal";
import { noGrad } from "../tape/grad-mode.ts";
import { abs, cast, eq, isNaN, logicalOr, mul } from "../ops/basic.ts";
import { sum } from "../ops/reduce.ts";
import { tidy } from "../scope.ts";
import type { Tensor } from "../tensor.ts";
import type { Optimizer } from "./optimizer.ts";

export interface GradScalerOptions {
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  enabled?: boolean;
}

/**
 * torch.cuda.amp.GradScaler: multiplies the loss so float16 gradients do not underflow, divides the
 * gradients back before the optimiser step, skips steps whose gradients hold inf or NaN and adapts
 * the scale. Checking for inf reads one number back, so `step` is async.
 */
export class GradScaler {
  private scaleValue: number;
  private growthTracker = 0;
  private unscaled = new WeakSet<Optimizer<any>>();
  private foundInf = false;
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  readonly enabled: boolean;

  constructor(o: GradScalerOptions = {}) {
    this.scaleValue = o.initScale ?? 2 ** 16;
    this.growthFactor = o.growthFactor ?? 2;
    this.backoffFactor = o.backoffFactor ?? 0.5;
    this.growthInterval = o.growthInterval ?? 2000;
    this.enabled = o.enabled ?? true;
    if (!(this.scaleValue > 0) || !(this.growthFactor > 1) || !(this.backoffFactor > 0 && this.backoffFactor < 1)) {
      throw new PolychipError(
        `GradScaler: need initScale > 0, growthFactor > 1 and backoffFactor in (0, 1), got ${this.scaleValue}, ${this.growthFactor}, ${this.backoffFactor}`,
      );
    }
  }

  getScale(): number {
    return this.enabled ? this.scaleValue : 1;
  }

  /** loss * scale, to call backward() on. */
  scale(loss: Tensor): Tensor {
    return this.enabled ? mul(loss, this.scaleValue) : loss;
  }

  /** Divides the optimiser's gradients by the scale (once per step; call it before clipping gradients) and notes any inf/NaN. */
  async unscale_(optimizer: Optimizer<any>): Promise<void> {
    if (!this.enabled || this.unscaled.has(optimizer)) return;
    this.unscaled.add(optimizer);
    const grads = optimizer.params.filter((p) => p.grad).map((p) => p.grad!);
    const bad = noGrad(() =>
      tidy(() => {
        let count: Tensor | undefined;
        for (const g of grads) {
          g.assign(mul(g, 1 / this.scaleValue));
          const n = sum(cast(logicalOr(isNaN(g), eq(abs(g), Infinity)), "int32"));
          count = count ? count.add(n) : n;
        }
        return count;
      }),
    );
    if (bad) {
      this.foundInf ||= (await bad.item()) > 0;
      bad.dispose();
    }
  }

  /** Unscales if not done yet, then steps the optimiser unless a gradient was inf or NaN. Returns whether it stepped. */
  async step(optimizer: Optimizer<any>): Promise<boolean> {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    await this.unscale_(optimizer);
    if (this.foundInf) return false;
    optimizer.step();
    return true;
  }

  /** Backs the scale off after a skipped step, grows it after growthInterval clean ones. Call once per iteration. */
  update(): void {
    if (!this.enabled) return;
    if (this.foundInf) {
      this.scaleValue *= this.backoffFactor;
      this.growthTracker = 0;
    } else if (++this.growthTracker >= this.growthInterval) {
      this.scaleValue *= this.growthFactor;
      this.growthTracker = 0;
    }
    this.foundInf = false;
    this.unscaled = new WeakSet();
  }

  stateDict(): { scale: number; growthTracker: number } {
    return { scale: this.scaleValue, growthTracker: this.growthTracker };
  }

  loadStateDict(sd: { scale: number; growthTracker: number }): void {
    if (!(sd?.scale > 0) || !Number.isInteger(sd.growthTracker)) throw new PolychipError("GradScaler.loadStateDict: expected { scale > 0, growthTracker }");
    this.scaleValue = sd.scale;
    this.growthTracker = sd.growthTracker;
  }
}
