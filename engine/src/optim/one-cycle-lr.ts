import { PolychipError } from "@polychip/hal";
import type { AnyOptimizer, SchedulerStateDict } from "./scheduler.ts";
import { hostStep } from "../compile/replay-hooks.ts";

export interface OneCycleOptions {
  /** Either totalSteps, or epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: "cos" | "linear";
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  lr: [keyof Rates, keyof Rates];
  momentum: [keyof Rates, keyof Rates];
}

interface Rates {
  initial: number;
  max: number;
  min: number;
  baseMomentum: number;
  maxMomentum: number;
}

/**
 * torch's OneCycleLR: warms the rate up from maxLr/divFactor to maxLr, then anneals it to
 * initial/finalDivFactor, cycling momentum (SGD's momentum or Adam's beta1) the other way.
 * Stepped once per batch.
 */
export class OneCycleLR {
  lastEpoch = 0;
  readonly totalSteps: number;
  private readonly phases: Phase[];
  private readonly rates: Rates[];
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly cycleMomentum: boolean;

  constructor(
    readonly optimizer: AnyOptimizer,
    maxLr: number | number[],
    opts: OneCycleOptions = {},
  ) {
    const lrs = Array.isArray(maxLr) ? maxLr : [maxLr];
    if (lrs.some((lr) => typeof lr !== "number" || !(lr > 0)))
      throw new PolychipError(`OneCycleLR: maxLr (the second argument) must be a positive number or one per parameter group, got ${JSON.stringify(maxLr)}`);
    const total = opts.totalSteps ?? (opts.epochs !== undefined && opts.stepsPerEpoch !== undefined ? opts.epochs * opts.stepsPerEpoch : NaN);
    if (!Number.isInteger(total) || total <= 0)
      throw new PolychipError(`OneCycleLR: give totalSteps, or epochs and stepsPerEpoch, as positive integers (got ${total})`);
    this.totalSteps = total;
    const pct = opts.pctStart ?? 0.3;
    if (!(pct > 0 && pct < 1)) throw new PolychipError(`OneCycleLR: pctStart must be in (0, 1), got ${pct}`);
    const groups = optimizer.paramGroups;
    const maxLrs = Array.isArray(maxLr) ? maxLr : groups.map(() => maxLr);
    if (maxLrs.length !== groups.length) throw new PolychipError(`OneCycleLR: got ${maxLrs.length} maxLr values for ${groups.length} parameter groups`);
    const div = opts.divFactor ?? 25;
    const finalDiv = opts.finalDivFactor ?? 1e4;
    this.cycleMomentum = opts.cycleMomentum ?? true;
    this.rates = maxLrs.map((max) => ({
      initial: max / div,
      max,
      min: max / div / finalDiv,
      baseMomentum: opts.baseMomentum ?? 0.85,
      maxMomentum: opts.maxMomentum ?? 0.95,
    }));
    this.phases = opts.threePhase
      ? [
          { endStep: pct * total - 1, lr: ["initial", "max"], momentum: ["maxMomentum", "baseMomentum"] },
          { endStep: 2 * pct * total - 2, lr: ["max", "initial"], momentum: ["baseMomentum", "maxMomentum"] },
          { endStep: total - 1, lr: ["initial", "min"], momentum: ["maxMomentum", "maxMomentum"] },
        ]
      : [
          { endStep: pct * total - 1, lr: ["initial", "max"], momentum: ["maxMomentum", "baseMomentum"] },
          { endStep: total - 1, lr: ["max", "min"], momentum: ["baseMomentum", "maxMomentum"] },
        ];
    this.anneal = (opts.annealStrategy ?? "cos") === "cos" ? (s, e, p) => e + ((s - e) / 2) * (Math.cos(Math.PI * p) + 1) : (s, e, p) => (e - s) * p + s;
    if (this.cycleMomentum && !groups.every((g) => "momentum" in g || "betas" in g)) {
      throw new PolychipError("OneCycleLR: cycleMomentum needs an optimiser with momentum or betas; pass cycleMomentum: false");
    }
    groups.forEach((g, i) => (g.initialLr = this.rates[i]!.initial));
    this.apply();
  }

  step(): void {
    hostStep(() => {
      this.lastEpoch++;
      if (this.lastEpoch > this.totalSteps) throw new PolychipError(`OneCycleLR: stepped ${this.lastEpoch} times, more than totalSteps (${this.totalSteps})`);
      this.apply();
    });
  }

  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  private apply(): void {
    const step = this.lastEpoch;
    let start = 0;
    for (const [i, phase] of this.phases.entries()) {
      if (step <= phase.endStep || i === this.phases.length - 1) {
        const pct = (step - start) / (phase.endStep - start);
        this.optimizer.paramGroups.forEach((g, k) => {
          const r = this.rates[k]!;
          g.lr = this.anneal(r[phase.lr[0]], r[phase.lr[1]], pct);
          if (!this.cycleMomentum) return;
          const m = this.anneal(r[phase.momentum[0]], r[phase.momentum[1]], pct);
          const group = g as unknown as { momentum?: number; betas?: [number, number] };
          if (group.betas) group.betas = [m, group.betas[1]];
          else group.momentum = m;
        });
        return;
      }
      start = phase.endStep;
    }
  }

  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: this.rates.map((r) => r.initial), lastLrs: this.getLastLr() };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    if (typeof sd?.lastEpoch !== "number") throw new PolychipError("OneCycleLR.loadStateDict: expected { lastEpoch }");
    this.lastEpoch = sd.lastEpoch;
    this.apply();
  }
}
