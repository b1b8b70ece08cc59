import type { BenchCase } from "./cases.ts";
import type { Job, Runner, RunnerInfo } from "./runners/types.ts";
import { runsWanted, wantsAnotherRun, wantsMoreWarmup, type SamplingPolicy } from "./sampling.ts";
import { gflops, relativeDifference, summarize, type Summary } from "./stats.ts";

export interface MeasuredEntry {
  readonly status: "ok";
  readonly summary: Summary;
  readonly samples: readonly number[];
  readonly gflops?: number;
  /** Largest difference from the reference runner's output, relative to its largest value. */
  readonly agreement?: { readonly vs: string; readonly relativeDifference: number };
  readonly firstLoss?: number;
  /** Set when the figure was measured in the pass at this thread count (a single-threaded peer). */
  readonly reusedFromThreads?: number;
}

export type Entry = MeasuredEntry | { readonly status: "unsupported"; readonly reason: string } | { readonly status: "error"; readonly message: string };

export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly kind: BenchCase["kind"];
  readonly flops?: number;
  readonly entries: Record<string, Entry>;
}

export interface PassResult {
  readonly threads: number;
  readonly runners: RunnerInfo[];
  /** Runner id → why it did not run in this pass. */
  readonly unavailable: Record<string, string>;
  readonly cases: CaseResult[];
  readonly seconds: number;
}

/** What a child process needs to run one pass (runners by id, so it crosses the process boundary as JSON). */
export interface PassSpec {
  readonly threads: number;
  readonly cases: readonly BenchCase[];
  readonly runners: readonly string[];
  readonly sampling: SamplingPolicy;
  /** Runner id → case ids it sits out (figures another pass already has). */
  readonly skip?: Readonly<Record<string, readonly string[]>>;
}

export interface PassOptions {
  readonly threads: number;
  readonly cases: readonly BenchCase[];
  readonly runners: readonly Runner[];
  readonly sampling: SamplingPolicy;
  /** Runners whose outputs are the reference for the agreement check, first available wins. */
  readonly referenceOrder?: readonly string[];
  readonly log?: (line: string) => void;
  /** Prefix of the progress lines (default "<threads>T"). */
  readonly label?: string;
  /** Runner id → case ids it sits out. */
  readonly skip?: Readonly<Record<string, readonly string[]>>;
}

/** Outputs further apart than this (relative) are flagged: the peers would not be computing the same thing. */
export const AGREEMENT_TOLERANCE = 1e-3;

const SLOW_RUN_LOG_MS = 5000;

const message = (err: unknown) => ((err as Error)?.message ?? String(err)).split("\n")[0]!.slice(0, 200);

interface Live {
  readonly runner: string;
  readonly job: Job;
  samples: number[];
  minRuns: number;
  failed?: string;
}

async function timed(job: Job): Promise<number> {
  await job.before?.();
  const started = performance.now();
  const reported = await job.run();
  const elapsed = performance.now() - started;
  return typeof reported === "number" ? reported : elapsed;
}

async function prepareJobs(c: BenchCase, runners: readonly Runner[], opts: PassOptions, entries: Record<string, Entry>): Promise<Live[]> {
  const live: Live[] = [];
  for (const runner of runners) {
    if (!runner.covers(c) || opts.skip?.[runner.id]?.includes(c.id)) continue;
    try {
      const prepared = await runner.prepare(c);
      if (prepared.status === "ready") live.push({ runner: runner.id, job: prepared.job, samples: [], minRuns: opts.sampling.minRuns });
      else entries[runner.id] = prepared;
    } catch (err) {
      entries[runner.id] = { status: "error", message: message(err) };
    }
  }
  return live;
}

/** Runs one job once; a failure marks the job instead of stopping the case. */
function attempter(c: BenchCase, opts: PassOptions) {
  const prefix = `[${opts.label ?? `${opts.threads}T`}]`;
  return async (l: Live, keep: boolean): Promise<number | undefined> => {
    if (l.failed) return undefined;
    try {
      const ms = await timed(l.job);
      if (keep) l.samples.push(ms);
      // A long case otherwise prints nothing for minutes.
      if (ms > SLOW_RUN_LOG_MS)
        opts.log?.(`${prefix} ${c.id}: ${l.runner} ${keep ? `run ${l.samples.length}` : "warm-up run"} took ${(ms / 1000).toFixed(1)} s`);
      return ms;
    } catch (err) {
      l.failed = message(err);
      return undefined;
    }
  };
}

/** The first warm-up run decides whether a job is slow (fewer runs); the remaining warm-ups go round in turns. */
async function warmUp(live: Live[], sampling: SamplingPolicy, attempt: ReturnType<typeof attempter>): Promise<void> {
  const state = new Map<Live, { wanted: number; slow: boolean; runs: number; spentMs: number }>();
  for (const l of live) {
    const firstMs = (await attempt(l, false)) ?? 0;
    const wanted = runsWanted(sampling, firstMs);
    state.set(l, { wanted: wanted.warmup, slow: wanted.slow, runs: 1, spentMs: firstMs });
    l.minRuns = wanted.min;
  }
  const needsMore = (l: Live) => {
    const s = state.get(l)!;
    return !l.failed && wantsMoreWarmup(sampling, s.wanted, s.runs, s.spentMs, s.slow);
  };
  while (live.some(needsMore)) {
    for (const l of live) {
      if (!needsMore(l)) continue;
      const s = state.get(l)!;
      s.spentMs += (await attempt(l, false)) ?? 0;
      s.runs++;
    }
  }
}

/** Interleaved rounds, one run per job each, rotating who goes first so no peer always follows the same one. */
async function measureRounds(live: Live[], sampling: SamplingPolicy, attempt: ReturnType<typeof attempter>): Promise<void> {
  for (let round = 0; ; round++) {
    const waiting = live.filter((l) => !l.failed && wantsAnotherRun(sampling, l.minRuns, l.samples));
    if (waiting.length === 0) return;
    for (let i = 0; i < waiting.length; i++) await attempt(waiting[(i + round) % waiting.length]!, true);
  }
}

async function lastOutputs(live: Live[]): Promise<Map<string, Float32Array>> {
  const outputs = new Map<string, Float32Array>();
  for (const l of live) {
    if (l.failed || !l.job.output) continue;
    try {
      outputs.set(l.runner, await l.job.output());
    } catch {
      // A missing output only skips the agreement check.
    }
  }
  return outputs;
}

function measuredEntry(c: BenchCase, l: Live, out: Float32Array | undefined, reference: { id: string; data: Float32Array } | undefined): Entry {
  if (l.failed) return { status: "error", message: l.failed };
  const summary = summarize(l.samples);
  return {
    status: "ok",
    summary,
    samples: l.samples,
    ...("flops" in c ? { gflops: gflops(c.flops, summary.median) } : {}),
    ...(reference && out && l.runner !== reference.id ? { agreement: { vs: reference.id, relativeDifference: relativeDifference(out, reference.data) } } : {}),
    ...(l.job.firstLoss !== undefined ? { firstLoss: l.job.firstLoss } : {}),
  };
}

async function measureCase(c: BenchCase, runners: readonly Runner[], opts: PassOptions): Promise<CaseResult> {
  const entries: Record<string, Entry> = {};
  const live = await prepareJobs(c, runners, opts, entries);
  const attempt = attempter(c, opts);
  await warmUp(live, opts.sampling, attempt);
  await measureRounds(live, opts.sampling, attempt);
  const outputs = await lastOutputs(live);
  const referenceId = (opts.referenceOrder ?? ["ort-node", "polychip"]).find((id) => outputs.has(id));
  const reference = referenceId ? { id: referenceId, data: outputs.get(referenceId)! } : undefined;
  for (const l of live) {
    entries[l.runner] = measuredEntry(c, l, outputs.get(l.runner), reference);
    try {
      await l.job.dispose();
    } catch {
      // Freeing is best effort; the next case gets fresh jobs.
    }
  }
  return { id: c.id, title: c.title, kind: c.kind, ...("flops" in c ? { flops: c.flops } : {}), entries };
}

function describeEntry(id: string, e: Entry): string {
  if (e.status === "ok") return `${id} ${e.summary.median.toFixed(2)} ms`;
  return `${id} ${e.status}`;
}

/** Runs every case on every runner at one thread count, in one process, the runners taking turns. */
export async function runPass(opts: PassOptions): Promise<PassResult> {
  const started = performance.now();
  const infos: RunnerInfo[] = [];
  const unavailable: Record<string, string> = {};
  const active: Runner[] = [];
  for (const runner of opts.runners) {
    try {
      const info = await runner.init(opts.threads);
      if ("unavailable" in info) unavailable[runner.id] = info.unavailable;
      else {
        infos.push(info);
        active.push(runner);
      }
    } catch (err) {
      unavailable[runner.id] = `did not start: ${message(err)}`;
    }
  }
  const prefix = `[${opts.label ?? `${opts.threads}T`}]`;
  for (const [id, why] of Object.entries(unavailable)) opts.log?.(`${prefix} ${id}: ${why}`);
  const cases: CaseResult[] = [];
  for (const c of opts.cases) {
    const caseStarted = performance.now();
    const result = await measureCase(c, active, opts);
    cases.push(result);
    const seconds = ((performance.now() - caseStarted) / 1000).toFixed(1);
    opts.log?.(
      `${prefix} ${c.id} (${seconds} s): ${Object.entries(result.entries)
        .map(([id, e]) => describeEntry(id, e))
        .join(", ")}`,
    );
  }
  for (const runner of active) await runner.close().catch(() => {});
  return { threads: opts.threads, runners: infos, unavailable, cases, seconds: (performance.now() - started) / 1000 };
}
