import { PolychipError } from "@polychip/hal";
import { checkPositiveInt, LRScheduler, type AnyOptimizer } from "./scheduler.ts";

/** Multiplies the rate by `gamma` every `stepSize` epochs. */
export class StepLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly stepSize: number,
    readonly gamma = 0.1,
  ) {
    checkPositiveInt("StepLR", "stepSize", stepSize);
    super(optimizer);
    this.start();
  }
  protected lrAt(epoch: number, base: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** Multiplies the rate by `gamma` at each milestone epoch. */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];
  constructor(
    optimizer: AnyOptimizer,
    milestones: number[],
    readonly gamma = 0.1,
  ) {
    const sorted = [...milestones].sort((a, b) => a - b);
    super(optimizer);
    this.milestones = sorted;
    this.start();
  }
  protected lrAt(epoch: number, base: number): number {
    const passed = this.milestones.filter((m) => m <= epoch).length;
    return base * this.gamma ** passed;
  }
}

/** base * gamma^epoch. */
export class ExponentialLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly gamma: number,
  ) {
    super(optimizer);
    this.start();
  }
  protected lrAt(epoch: number, base: number): number {
    return base * this.gamma ** epoch;
  }
}

/** Cosine annealing from the base rate to `etaMin` over `tMax` epochs and back up after, as torch's CosineAnnealingLR. */
export class CosineAnnealingLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly tMax: number,
    readonly etaMin = 0,
  ) {
    checkPositiveInt("CosineAnnealingLR", "tMax", tMax);
    super(optimizer);
    this.start();
  }
  protected lrAt(epoch: number, base: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

/** base * fn(epoch), one function for every group or one per group. The functions are not saved in stateDict (as torch). */
export class LambdaLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[],
  ) {
    const fns = Array.isArray(lrLambda) ? lrLambda : [lrLambda];
    if (Array.isArray(lrLambda) && lrLambda.length !== optimizer.paramGroups.length) {
      throw new PolychipError(`LambdaLR: got ${lrLambda.length} functions for ${optimizer.paramGroups.length} parameter groups`);
    }
    if (!fns.every((f) => typeof f === "function")) throw new PolychipError("LambdaLR: lrLambda must be a function or one function per group");
    super(optimizer);
    this.start();
  }
  protected lrAt(epoch: number, base: number, group: number): number {
    const fn = Array.isArray(this.lrLambda) ? this.lrLambda[group]! : this.lrLambda;
    return base * fn(epoch);
  }
}

/** Scales the rate linearly from startFactor to endFactor over totalIters epochs (a warmup when startFactor < 1). */
export class LinearLR extends LRScheduler {
  constructor(
    optimizer: AnyOptimizer,
    readonly startFactor = 1 / 3,
    readonly endFactor = 1,
    readonly totalIters = 5,
  ) {
    if (!(startFactor > 0 && startFactor <= 1) || !(endFactor >= 0 && endFactor <= 1)) {
      throw new PolychipError(`LinearLR: startFactor must be in (0, 1] and endFactor in [0, 1], got ${startFactor} and ${endFactor}`);
    }
    super(optimizer);
    this.start();
  }
  protected lrAt(epoch: number, base: number): number {
    const t = Math.min(epoch, this.totalIters);
    return base * (this.startFactor + ((this.endFactor - this.startFactor) * t) / this.totalIters);
  }
}
