import { PolychipError } from "@polychip/hal";
import type { AnyOptimizer, SchedulerStateDict } from "./scheduler.ts";

export interface PlateauOptions {
  mode?: "min" | "max";
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: "rel" | "abs";
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

/** torch's ReduceLROnPlateau: multiplies the rate by `factor` once the metric has not improved for `patience` steps. */
export class ReduceLROnPlateau {
  lastEpoch = 0;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  private readonly o: Required<Omit<PlateauOptions, "minLr">>;
  private readonly minLrs: number[];

  constructor(
    readonly optimizer: AnyOptimizer,
    opts: PlateauOptions = {},
  ) {
    this.o = {
      mode: opts.mode ?? "min",
      factor: opts.factor ?? 0.1,
      patience: opts.patience ?? 10,
      threshold: opts.threshold ?? 1e-4,
      thresholdMode: opts.thresholdMode ?? "rel",
      cooldown: opts.cooldown ?? 0,
      eps: opts.eps ?? 1e-8,
    };
    if (!(this.o.factor < 1 && this.o.factor >= 0)) throw new PolychipError(`ReduceLROnPlateau: factor must be in [0, 1), got ${this.o.factor}`);
    if (this.o.mode !== "min" && this.o.mode !== "max") throw new PolychipError(`ReduceLROnPlateau: mode must be 'min' or 'max', got ${String(this.o.mode)}`);
    const n = optimizer.paramGroups.length;
    this.minLrs = Array.isArray(opts.minLr) ? opts.minLr : Array(n).fill(opts.minLr ?? 0);
    if (this.minLrs.length !== n) throw new PolychipError(`ReduceLROnPlateau: got ${this.minLrs.length} minLr values for ${n} parameter groups`);
    this.best = this.o.mode === "min" ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode, threshold } = this.o;
    if (mode === "min") return thresholdMode === "rel" ? a < this.best * (1 - threshold) : a < this.best - threshold;
    return thresholdMode === "rel" ? a > this.best * (threshold + 1) : a > this.best + threshold;
  }

  /** Feeds one value of the watched metric (e.g. the validation loss). */
  step(metric: number): void {
    if (typeof metric !== "number" || Number.isNaN(metric))
      throw new PolychipError(`ReduceLROnPlateau.step: expected a number metric (await loss.item() first), got ${String(metric)}`);
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else this.numBadEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.o.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.o.factor, this.minLrs[i]!);
        if (g.lr - next > this.o.eps) g.lr = next;
      });
      this.cooldownCounter = this.o.cooldown;
      this.numBadEpochs = 0;
    }
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): SchedulerStateDict {
    return {
      lastEpoch: this.lastEpoch,
      baseLrs: [],
      lastLrs: this.getLastLr(),
      best: this.best,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
    };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    if (typeof sd?.lastEpoch !== "number" || typeof sd.best !== "number")
      throw new PolychipError("ReduceLROnPlateau.loadStateDict: expected { lastEpoch, best, numBadEpochs, cooldownCounter }");
    this.lastEpoch = sd.lastEpoch;
    this.best = sd.best;
    this.numBadEpochs = Number(sd.numBadEpochs);
    this.cooldownCounter = Number(sd.cooldownCounter);
    sd.lastLrs.forEach((lr, i) => (this.optimizer.paramGroups[i]!.lr = lr));
  }
}
