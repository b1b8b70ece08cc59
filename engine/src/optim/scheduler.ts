import { PolychipError } from "@polychip/hal";
import { hostStep } from "../compile/replay-hooks.ts";
import type { BaseOptions, Optimizer } from "./optimizer.ts";

export type AnyOptimizer = Optimizer<BaseOptions>;

/** What every scheduler saves: the epoch count, the base rates and the rates last set, plus its own fields. */
export interface SchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
  lastLrs: number[];
  [extra: string]: unknown;
}

/**
 * Base of the epoch-indexed schedulers, as torch's LRScheduler: the first scheduler on an optimiser
 * records each group's `initialLr`; every rate is a closed-form function of the epoch and a group's
 * base rate, so `step(epoch)` can jump (as SequentialLR needs) and a loaded state resumes exactly.
 * Each subclass ends its constructor with start(), which sets epoch 0's rates as torch's
 * constructor does (a base-class constructor runs before the subclass's fields exist).
 */
export abstract class LRScheduler {
  lastEpoch = 0;
  readonly baseLrs: number[];
  private lastLrs: number[] = [];

  constructor(readonly optimizer: AnyOptimizer) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups))
      throw new PolychipError(`${this.constructor.name}: expected an optimiser, got ${String(optimizer)}`);
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
  }

  protected start(): void {
    this.lastLrs = this.apply();
  }

  /** The rate of group `i` at `epoch`. */
  protected abstract lrAt(epoch: number, baseLr: number, group: number): number;

  /** Advances one epoch, or jumps to `epoch`. */
  step(epoch?: number): void {
    // Inside a compiled step, a replay advances the schedule too.
    hostStep(() => {
      this.lastEpoch = epoch ?? this.lastEpoch + 1;
      this.lastLrs = this.apply();
    });
  }

  /** The rates the last step set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  private apply(): number[] {
    const lrs = this.baseLrs.map((b, i) => this.lrAt(this.lastEpoch, b, i));
    lrs.forEach((lr, i) => (this.optimizer.paramGroups[i]!.lr = lr));
    return lrs;
  }

  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLrs: [...this.lastLrs] };
  }

  /** Restores a saved state and sets the optimiser's rates to the ones it had. */
  loadStateDict(sd: SchedulerStateDict): void {
    if (!sd || typeof sd.lastEpoch !== "number" || !Array.isArray(sd.baseLrs) || sd.baseLrs.length !== this.baseLrs.length) {
      throw new PolychipError(`${this.constructor.name}.loadStateDict: expected { lastEpoch, baseLrs } for ${this.baseLrs.length} parameter groups`);
    }
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...sd.baseLrs);
    this.lastLrs = [...sd.lastLrs];
    this.lastLrs.forEach((lr, i) => (this.optimizer.paramGroups[i]!.lr = lr));
  }
}

export function checkPositiveInt(where: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new PolychipError(`${where}: ${name} must be a positive integer, got ${v}`);
}
