import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateModelGoals } from "./model-goals.ts";
import type { CaseResult } from "./pass.ts";
import { ok, passResult } from "./test-fixtures.ts";

const model = (id: string, entries: CaseResult["entries"]): CaseResult => ({ id, title: id, kind: "model", entries });

test("each real model is judged against onnxruntime-web (1.5×) and onnxruntime-node (40%) at every thread count", () => {
  const pass = (threads: number, web: number) => passResult(threads, [model("model-a", { polychip: ok(10), "ort-web": ok(web), "ort-node": ok(3) })]);
  const goals = evaluateModelGoals([pass(1, 16), pass(2, 14)]);
  assert.deepEqual(
    goals.map((g) => [g.goal, g.threads, g.measured, g.status]),
    [
      ["a ≥ 1.5× onnxruntime-web WASM", 1, "1.60×", "met"],
      ["a ≥ 1.5× onnxruntime-web WASM", 2, "1.40×", "not met"],
      ["a ≥ 40% of onnxruntime-node's speed", 1, "0.30×", "not met"],
      ["a ≥ 40% of onnxruntime-node's speed", 2, "0.30×", "not met"],
    ],
  );
});

test("a model a peer could not run is not measured, with the peer's reason", () => {
  const pass = passResult(1, [model("model-b", { polychip: ok(10), "ort-web": { status: "error", message: "unsupported op X" }, "ort-node": ok(5) })]);
  const goal = evaluateModelGoals([pass]).find((g) => g.goal.includes("onnxruntime-web"))!;
  assert.equal(goal.status, "not measured");
  assert.match(goal.measured, /unsupported op X/);
});
