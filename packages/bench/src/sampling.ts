/** How many runs each job gets. Slow jobs still get `minRuns`; fast ones run until `budgetSeconds`. */
export interface SamplingPolicy {
  readonly warmupRuns: number;
  /**
   * A fast job keeps warming up, in turns with its peers, until it has spent this long (at most
   * `maxWarmupRuns` runs): a JIT needs hundreds of millisecond-long steps before its code is hot,
   * and two warm-up runs measured the compiler more than the runtime. A sub-millisecond model
   * needs thousands: after 300 runs V8 had not yet optimised a 0.07 ms inference (0.17 ms a run).
   */
  readonly warmupSeconds: number;
  readonly maxWarmupRuns: number;
  readonly minRuns: number;
  readonly maxRuns: number;
  /** Measured time per job and case after which no more runs are added beyond `minRuns`. */
  readonly budgetSeconds: number;
  /** A job whose warm-up run took longer than this gets one warm-up run only. */
  readonly slowRunSeconds: number;
  /** Measured time one slow job may take on one case; a 40-second-a-step peer gets fewer runs rather than stall the bench. */
  readonly maxJobSeconds: number;
}

export const FULL_SAMPLING: SamplingPolicy = {
  warmupRuns: 2,
  warmupSeconds: 1,
  maxWarmupRuns: 5000,
  minRuns: 5,
  maxRuns: 25,
  budgetSeconds: 2.5,
  slowRunSeconds: 2,
  maxJobSeconds: 150,
};
export const QUICK_SAMPLING: SamplingPolicy = {
  warmupRuns: 1,
  warmupSeconds: 0.2,
  maxWarmupRuns: 50,
  minRuns: 3,
  maxRuns: 5,
  budgetSeconds: 0.3,
  slowRunSeconds: 0.5,
  maxJobSeconds: 20,
};
/** The smoke test: the harness works, the figures mean nothing. */
export const SMOKE_SAMPLING: SamplingPolicy = {
  warmupRuns: 1,
  warmupSeconds: 0,
  maxWarmupRuns: 1,
  minRuns: 2,
  maxRuns: 2,
  budgetSeconds: 0,
  slowRunSeconds: 0,
  maxJobSeconds: 30,
};

/** Slow jobs (a 40-second tfjs-cpu CNN step) get the minimum of "several": three runs. */
const SLOW_MIN_RUNS = 3;

export function runsWanted(policy: SamplingPolicy, warmupMs: number): { warmup: number; min: number; slow: boolean } {
  const slow = warmupMs > policy.slowRunSeconds * 1000;
  if (!slow) return { warmup: policy.warmupRuns, min: policy.minRuns, slow };
  const affordable = Math.max(1, Math.floor((policy.maxJobSeconds * 1000) / warmupMs));
  return { warmup: 1, min: Math.min(policy.minRuns, SLOW_MIN_RUNS, affordable), slow };
}

/** Whether a job that has had `runs` warm-up runs taking `spentMs` in all needs another; slow jobs get `wanted` only. */
export function wantsMoreWarmup(policy: SamplingPolicy, wanted: number, runs: number, spentMs: number, slow: boolean): boolean {
  if (runs < wanted) return true;
  if (slow || runs >= policy.maxWarmupRuns) return false;
  return spentMs < policy.warmupSeconds * 1000;
}

export function wantsAnotherRun(policy: SamplingPolicy, min: number, samples: readonly number[]): boolean {
  if (samples.length < min) return true;
  if (samples.length >= policy.maxRuns) return false;
  return samples.reduce((a, b) => a + b, 0) < policy.budgetSeconds * 1000;
}
