import type { PassResult } from "./pass.ts";
import { speedRatio, whyMissing, type GoalResult } from "./goals.ts";

/** Issue 11's goals for the real models (`--models`): at every thread count, on every model of the suite. */
export const MODEL_GOALS = [
  { peer: "ort-web", atLeast: 1.5, wording: "≥ 1.5× onnxruntime-web WASM" },
  { peer: "ort-node", atLeast: 0.4, wording: "≥ 40% of onnxruntime-node's speed" },
] as const;

export function evaluateModelGoals(passes: readonly PassResult[]): GoalResult[] {
  const out: GoalResult[] = [];
  for (const goal of MODEL_GOALS)
    for (const pass of passes)
      for (const c of pass.cases.filter((x) => x.kind === "model")) {
        const ratio = speedRatio(c, goal.peer);
        const name = `${c.id.replace(/^model-/, "")} ${goal.wording}`;
        const target = `≥ ${goal.atLeast}×`;
        out.push(
          ratio === undefined
            ? { goal: name, threads: pass.threads, target, measured: whyMissing(pass, c.id, goal.peer), status: "not measured" }
            : { goal: name, threads: pass.threads, target, measured: `${ratio.toFixed(2)}×`, status: ratio >= goal.atLeast ? "met" : "not met" },
        );
      }
  return out;
}
