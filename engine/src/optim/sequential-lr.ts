import { PolychipError } from "@polychip/hal";
import { LRScheduler, type AnyOptimizer, type SchedulerStateDict } from "./scheduler.ts";
import { hostStep } from "../compile/replay-hooks.ts";

/**
 * Runs `schedulers[i]` until `milestones[i]`, then the next one from its epoch 0, as torch's
 * SequentialLR (e.g. LinearLR warmup, then CosineAnnealingLR).
 */
export class SequentialLR {
  lastEpoch = 0;

  constructor(
    readonly optimizer: AnyOptimizer,
    readonly schedulers: LRScheduler[],
    readonly milestones: number[],
  ) {
    if (schedulers.length === 0 || milestones.length !== schedulers.length - 1) {
      throw new PolychipError(
        `SequentialLR: expected ${Math.max(schedulers.length - 1, 0)} milestones for ${schedulers.length} schedulers, got ${milestones.length}`,
      );
    }
    if (schedulers.some((s) => s.optimizer !== optimizer))
      throw new PolychipError("SequentialLR: every scheduler must drive the same optimiser as SequentialLR");
    schedulers[0]!.step(0);
  }

  private active(): number {
    return this.milestones.filter((m) => m <= this.lastEpoch).length;
  }

  step(): void {
    // One host step: a replay picks the scheduler for its own epoch.
    hostStep(() => {
      this.lastEpoch++;
      const i = this.active();
      const s = this.schedulers[i]!;
      if (i > 0 && this.milestones[i - 1] === this.lastEpoch) s.step(0);
      else s.step();
    });
  }

  getLastLr(): number[] {
    return this.schedulers[this.active()]!.getLastLr();
  }

  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [], lastLrs: this.getLastLr(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    const subs = sd.schedulers as SchedulerStateDict[] | undefined;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length)
      throw new PolychipError(`SequentialLR.loadStateDict: expected states for ${this.schedulers.length} schedulers`);
    this.lastEpoch = sd.lastEpoch;
    subs.forEach((s, i) => this.schedulers[i]!.loadStateDict(s));
    this.schedulers[this.active()]!.loadStateDict(subs[this.active()]!);
  }
}
