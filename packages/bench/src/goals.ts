import type { CaseResult, Entry, PassResult } from "./pass.ts";

export type GoalStatus = "met" | "not met" | "not measured";

export interface GoalResult {
  readonly goal: string;
  readonly threads?: number;
  readonly target: string;
  readonly measured: string;
  readonly status: GoalStatus;
}

/** Issue 6's speed goals: Polychip's speed relative to a peer's, same case and thread count. */
interface RatioGoal {
  readonly caseId: string;
  readonly peer: string;
  /** Minimum of peer median / Polychip median (1.5 = Polychip 1.5× faster). */
  readonly atLeast: number;
  /** Only checked at this thread count (the PyTorch goal is stated for 2 threads). */
  readonly threads?: number;
  readonly wording: string;
  /** The runner whose speed is measured (default "polychip", op by op). */
  readonly subject?: string;
}

export const RATIO_GOALS: readonly RatioGoal[] = [
  { caseId: "matmul-1024", peer: "ort-web", atLeast: 1.5, wording: "matmul 1024 ≥ 1.5× onnxruntime-web WASM" },
  { caseId: "matmul-1024", peer: "tfjs-wasm", atLeast: 2, wording: "matmul 1024 ≥ 2× tfjs-wasm" },
  { caseId: "matmul-1024", peer: "ort-node", atLeast: 0.5, wording: "matmul 1024 ≥ 50% of onnxruntime-node" },
  { caseId: "conv2d", peer: "ort-web", atLeast: 1.2, wording: "conv2d ≥ 1.2× onnxruntime-web WASM" },
  { caseId: "conv2d", peer: "tfjs-wasm", atLeast: 1.5, wording: "conv2d ≥ 1.5× tfjs-wasm" },
  { caseId: "mlp-train-64", peer: "tfjs-wasm", atLeast: 5, wording: "MLP training step ≥ 5× tfjs-wasm" },
  { caseId: "cnn-train-64", peer: "pytorch", atLeast: 0.5, threads: 2, wording: "CNN training step ≤ 2× PyTorch's time" },
  // Issue 13: graph mode against Polychip's own op-by-op execution, same run.
  { caseId: "cnn-train-64", peer: "polychip", subject: "polychip-compiled", atLeast: 1.5, wording: "CNN training step compiled ≥ 1.5× eager" },
  { caseId: "resnet-train-64", peer: "polychip", subject: "polychip-compiled", atLeast: 1.5, wording: "ResNet training step compiled ≥ 1.5× eager" },
  { caseId: "resnet-train-64", peer: "pytorch", subject: "polychip-compiled", atLeast: 0.5, wording: "ResNet training step compiled ≤ 2× PyTorch's time" },
];

export const EPOCH_GOAL_SECONDS = 90;

const median = (e: Entry | undefined) => (e?.status === "ok" ? e.summary.median : undefined);

/** Peer median / Polychip median: above 1 means Polychip is faster. `subject` is Polychip's runner (cpu or webgpu). */
export function speedRatio(c: CaseResult, peer: string, subject = "polychip"): number | undefined {
  const mine = median(c.entries[subject]);
  const theirs = median(c.entries[peer]);
  return mine !== undefined && theirs !== undefined ? theirs / mine : undefined;
}

export function whyMissing(pass: PassResult, caseId: string, peer: string, subject = "polychip"): string {
  const c = pass.cases.find((x) => x.id === caseId);
  if (!c) return "case not run";
  for (const id of [subject, peer]) {
    const e = c.entries[id];
    if (pass.unavailable[id]) return `${id} unavailable`;
    if (!e) return `${id} not run`;
    if (e.status !== "ok") return `${id}: ${e.status === "unsupported" ? e.reason : e.message}`;
  }
  return "no figure";
}

export function evaluateGoals(passes: readonly PassResult[], epochSeconds?: number, epochNote?: string): GoalResult[] {
  const out: GoalResult[] = [];
  for (const goal of RATIO_GOALS) {
    for (const pass of passes) {
      if (goal.threads !== undefined && pass.threads !== goal.threads) continue;
      const c = pass.cases.find((x) => x.id === goal.caseId);
      const subject = goal.subject ?? "polychip";
      const ratio = c ? speedRatio(c, goal.peer, subject) : undefined;
      const target = goal.peer === "pytorch" ? `Polychip time ≤ 2× PyTorch (ratio ≥ ${goal.atLeast}×)` : `≥ ${goal.atLeast}×`;
      out.push(
        ratio === undefined
          ? { goal: goal.wording, threads: pass.threads, target, measured: whyMissing(pass, goal.caseId, goal.peer, subject), status: "not measured" }
          : { goal: goal.wording, threads: pass.threads, target, measured: `${ratio.toFixed(2)}×`, status: ratio >= goal.atLeast ? "met" : "not met" },
      );
    }
    if (passes.length > 0 && goal.threads !== undefined && !passes.some((p) => p.threads === goal.threads)) {
      out.push({
        goal: goal.wording,
        threads: goal.threads,
        target: `at ${goal.threads} threads`,
        measured: `no ${goal.threads}-thread pass`,
        status: "not measured",
      });
    }
  }
  out.push(
    epochSeconds === undefined
      ? { goal: "full-set Fashion-MNIST CNN epoch", target: `< ${EPOCH_GOAL_SECONDS} s`, measured: epochNote ?? "run with --epoch", status: "not measured" }
      : {
          goal: "full-set Fashion-MNIST CNN epoch",
          target: `< ${EPOCH_GOAL_SECONDS} s`,
          measured: `${epochSeconds.toFixed(1)} s${epochNote ? ` (${epochNote})` : ""}`,
          status: epochSeconds < EPOCH_GOAL_SECONDS ? "met" : "not met",
        },
  );
  return out;
}
