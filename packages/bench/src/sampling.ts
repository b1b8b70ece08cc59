/** How many runs each job gets. Slow jobs still get `minRuns`; fast ones run until `budgetSeconds`. */
export interface SamplingPolicy {
  readonly warmupRuns: number;
  readonly minRuns: number;
  readonly maxRuns: number;
  /** Measured time per job and case after which no more runs are added beyond `minRuns`. */
  readonly budgetSeconds: number;
  /** A job whose warm-up run took longer than this gets one warm-up run only. */
  readonly slowRunSeconds: number;
  /** Measured time one slow job may take on one case; a 40-second-a-step peer gets fewer runs rather than stall the bench. */
  readonly maxJobSeconds: number;
}

export const FULL_SAMPLING: SamplingPolicy = { warmupRuns: 2, minRuns: 5, maxRuns: 25, budgetSeconds: 2.5, slowRunSeconds: 2, maxJobSeconds: 150 };
export const QUICK_SAMPLING: SamplingPolicy = { warmupRuns: 1, minRuns: 3, maxRuns: 5, budgetSeconds: 0.3, slowRunSeconds: 0.5, maxJobSeconds: 20 };
/** The smoke test: the harness works, the figures mean nothing. */
export const SMOKE_SAMPLING: SamplingPolicy = { warmupRuns: 1, minRuns: 2, maxRuns: 2, budgetSeconds: 0, slowRunSeconds: 0, maxJobSeconds: 30 };

/** Slow jobs (a 40-second tfjs-cpu CNN step) get the minimum of "several": three runs. */
const SLOW_MIN_RUNS = 3;

export function runsWanted(policy: SamplingPolicy, warmupMs: number): { warmup: number; min: number } {
  const slow = warmupMs > policy.slowRunSeconds * 1000;
  if (!slow) return { warmup: policy.warmupRuns, min: policy.minRuns };
  const affordable = Math.max(1, Math.floor((policy.maxJobSeconds * 1000) / warmupMs));
  return { warmup: 1, min: Math.min(policy.minRuns, SLOW_MIN_RUNS, affordable) };
}

export function wantsAnotherRun(policy: SamplingPolicy, min: number, samples: readonly number[]): boolean {
  if (samples.length < min) return true;
  if (samples.length >= policy.maxRuns) return false;
  return samples.reduce((a, b) => a + b, 0) < policy.budgetSeconds * 1000;
}
