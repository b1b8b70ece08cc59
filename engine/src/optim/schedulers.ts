import type { Optimizer } from "./optimizer.ts";

/** Multiplies the learning rate by `gamma` every `stepSize` calls to step(). */
export class StepLR {
  private epoch = 0;
  private readonly baseLr: number;

  constructor(readonly optimizer: Optimizer, readonly stepSize: number, readonly gamma = 0.1) {
    this.baseLr = optimizer.lr;
  }

  step(): void {
    this.epoch++;
    this.optimizer.lr = this.baseLr * this.gamma ** Math.floor(this.epoch / this.stepSize);
  }
}

/** Cosine annealing from the base rate to `etaMin` over `tMax` steps and back up after, as torch's CosineAnnealingLR. */
export class CosineAnnealingLR {
  private epoch = 0;
  private readonly baseLr: number;

  constructor(readonly optimizer: Optimizer, readonly tMax: number, readonly etaMin = 0) {
    this.baseLr = optimizer.lr;
  }

  step(): void {
    this.epoch++;
    const t = this.epoch;
    this.optimizer.lr = this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}
