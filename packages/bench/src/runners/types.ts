import type { BenchCase } from "../cases.ts";

/**
 * One prepared measurement: `run` does the work once and waits until its results are on the host.
 * A job that times itself (a subprocess) returns the milliseconds it measured.
 */
export interface Job {
  /** Untimed work before each run (e.g. selecting the job's tfjs backend). */
  before?(): Promise<void> | void;
  run(): Promise<number | void> | number | void;
  /** The result of the last run in a canonical layout (NCHW, row-major), to check peers agree. */
  output?(): Promise<Float32Array> | Float32Array;
  /** Training jobs: the loss of the first step, which should agree across peers given the same weights. */
  readonly firstLoss?: number;
  dispose(): Promise<void> | void;
}

export type Prepared = { readonly status: "ready"; readonly job: Job } | { readonly status: "unsupported"; readonly reason: string };

export interface RunnerInfo {
  readonly id: string;
  readonly label: string;
  /** Version and backend details, shown in the report. */
  readonly detail: string;
  /** Threads the runner really uses in this pass (after feature detection). */
  readonly threads: number;
  /** True when the runner cannot use more than one thread here, so later passes may reuse its figures. */
  readonly singleThreadOnly: boolean;
  /** Anything else worth keeping in the JSON (PyTorch's build configuration). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface Runner {
  readonly id: string;
  /** Starts the runtime at a thread count; resolves to a reason string when it is not available here. */
  init(threads: number): Promise<RunnerInfo | { unavailable: string }>;
  /** Cases this runner takes part in at all (others are not listed for it). */
  covers(c: BenchCase): boolean;
  prepare(c: BenchCase): Promise<Prepared>;
  close(): Promise<void>;
}

export const unsupported = (reason: string): Prepared => ({ status: "unsupported", reason });
export const ready = (job: Job): Prepared => ({ status: "ready", job });
