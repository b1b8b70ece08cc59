/**
 * @polychip/bench — Polychip beside its peers. The command is `pnpm bench` (see cli.ts); these
 * exports let other tools run passes and render the same tables.
 */
export { cpuCases, quickCases, filterCases, matmulCase, conv2dCase, trainCase, inferCase, type BenchCase } from "./cases.ts";
export { runPass, AGREEMENT_TOLERANCE, type PassResult, type PassSpec, type CaseResult, type Entry, type MeasuredEntry } from "./pass.ts";
export { runCpuBench, type CpuBenchOptions, type CpuBenchReport } from "./cpu-bench.ts";
export { runWebGpuBench, renderWebGpuReport, type WebGpuReport } from "./webgpu/webgpu-bench.ts";
export { evaluateGoals, speedRatio, RATIO_GOALS, EPOCH_GOAL_SECONDS, type GoalResult } from "./goals.ts";
export { renderPass, mediansTable, ratiosTable, detailsTable, goalsTable } from "./report.ts";
export { FULL_SAMPLING, QUICK_SAMPLING, SMOKE_SAMPLING, type SamplingPolicy } from "./sampling.ts";
export { CPU_RUNNER_IDS, createRunner } from "./runners/index.ts";
export type { Runner, RunnerInfo, Job, Prepared } from "./runners/types.ts";
export { buildOnnxModel, type OnnxGraphSpec } from "./onnx/model-builder.ts";
