import { cpuCases, filterCases, quickCases } from "./cases.ts";
import type { EpochResult } from "./epoch.ts";
import { evaluateGoals, type GoalResult } from "./goals.ts";
import { evaluateModelGoals } from "./model-goals.ts";
import { fetchRealModels, realModelCases } from "./models/real-models.ts";
import { currentLoad, machineInfo, type MachineInfo } from "./machine.ts";
import type { PassResult } from "./pass.ts";
import { selectRunnerIds } from "./runners/index.ts";
import { reusableFigures, runEpochInChild, runPassInChild, withReusedEntries } from "./run-pass.ts";
import { FULL_SAMPLING, QUICK_SAMPLING, type SamplingPolicy } from "./sampling.ts";

export interface CpuBenchOptions {
  readonly quick: boolean;
  readonly only?: string;
  readonly peers?: string;
  readonly threads: readonly number[];
  readonly epoch: boolean;
  readonly epochSteps?: number;
  /** The real-model suite instead of issue 6's cases (peers default to onnxruntime's). */
  readonly models?: boolean;
  readonly command: string;
  readonly log?: (line: string) => void;
}

export interface CpuBenchReport {
  readonly kind: "cpu";
  readonly command: string;
  readonly machine: MachineInfo;
  readonly quick: boolean;
  readonly models: boolean;
  readonly sampling: SamplingPolicy;
  readonly passes: PassResult[];
  readonly epoch?: EpochResult | { readonly error: string };
  readonly goals: GoalResult[];
  readonly seconds: number;
  readonly loadAtEnd: number;
}

/** Every pass (one process per thread count), then the epoch if asked, then the goals. */
export async function runCpuBench(opts: CpuBenchOptions): Promise<CpuBenchReport> {
  const started = performance.now();
  const machine = machineInfo();
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cases = filterCases(opts.models ? realModelCases() : opts.quick ? quickCases() : cpuCases(), opts.only);
  const runnerIds = selectRunnerIds(opts.peers ?? (opts.models ? "ort-web,ort-node" : undefined));
  if (opts.models) await fetchRealModels(cases.filter((c) => c.kind === "model"));
  const sampling = opts.quick ? QUICK_SAMPLING : FULL_SAMPLING;
  const passes: PassResult[] = [];
  if (cases.length > 0) {
    let reuse: Record<string, string[]> = {};
    for (const threads of opts.threads) {
      log(`── ${threads}-thread pass: ${cases.map((c) => c.id).join(", ")} ──`);
      const first = passes[0];
      // A runner with nothing left to measure is not even started.
      const runners = runnerIds.filter((id) => !(reuse[id] && cases.every((c) => reuse[id]!.includes(c.id))));
      const pass = await runPassInChild({ threads, cases, runners, sampling, skip: reuse }, log);
      passes.push(first ? withReusedEntries(pass, first, reuse) : pass);
      if (!first) reuse = reusableFigures(pass);
    }
  }
  let epoch: CpuBenchReport["epoch"];
  if (opts.epoch) {
    const threads = Math.max(...opts.threads);
    log(`── Fashion-MNIST CNN epoch, ${threads} thread${threads === 1 ? "" : "s"}${opts.epochSteps ? `, first ${opts.epochSteps} steps` : ""} ──`);
    try {
      epoch = await runEpochInChild(threads, opts.epochSteps, log);
    } catch (err) {
      epoch = { error: (err as Error).message };
    }
  }
  const epochSeconds = epoch && "epochSeconds" in epoch ? epoch.epochSeconds : undefined;
  const epochNote = !epoch
    ? undefined
    : "error" in epoch
      ? `epoch failed: ${epoch.error.split("\n")[0]}`
      : `${epoch.projected ? `projected from ${epoch.stepsRun} of ${epoch.stepsPerEpoch} steps` : `${epoch.stepsPerEpoch} steps`}, ${epoch.threads} thread${epoch.threads === 1 ? "" : "s"}${epoch.source === "debian" ? "" : `, ${epoch.source} data: not the full set`}`;
  return {
    kind: "cpu",
    command: opts.command,
    machine,
    quick: opts.quick,
    models: opts.models ?? false,
    sampling,
    passes,
    ...(epoch ? { epoch } : {}),
    goals: opts.models ? evaluateModelGoals(passes) : evaluateGoals(passes, epochSeconds, epochNote),
    seconds: (performance.now() - started) / 1000,
    loadAtEnd: currentLoad(),
  };
}
