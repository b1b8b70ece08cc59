import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluateGoals, speedRatio } from "./goals.ts";
import { caseResult, ok, passResult } from "./test-fixtures.ts";

test("speedRatio is the peer's time over Polychip's", () => {
  assert.equal(speedRatio(caseResult("matmul-1024", { polychip: ok(10), "ort-web": ok(30) }), "ort-web"), 3);
});

test("a goal is met when the ratio reaches its target and not met below", () => {
  const pass = passResult(1, [caseResult("matmul-1024", { polychip: ok(10), "ort-web": ok(15), "tfjs-wasm": ok(19), "ort-node": ok(5) })]);
  const goals = evaluateGoals([pass]).filter((g) => g.goal.startsWith("matmul 1024"));
  assert.deepEqual(
    goals.map((g) => g.status),
    ["met", "not met", "met"],
  );
});

test("a goal whose peer cannot run the case is not measured, with the reason", () => {
  const pass = passResult(1, [caseResult("mlp-train-64", { polychip: ok(10), "tfjs-wasm": { status: "unsupported", reason: "cannot train: no kernel" } })]);
  const goal = evaluateGoals([pass]).find((g) => g.goal.startsWith("MLP"))!;
  assert.equal(goal.status, "not measured");
  assert.match(goal.measured, /cannot train: no kernel/);
});

test("the PyTorch goal is judged at 2 threads only", () => {
  const cnn = (threads: number, poly: number) => passResult(threads, [caseResult("cnn-train-64", { polychip: ok(poly), pytorch: ok(20) })]);
  const goals = evaluateGoals([cnn(1, 100), cnn(2, 39)]).filter((g) => g.goal.startsWith("CNN training step ≤"));
  assert.deepEqual(
    goals.map((g) => [g.threads, g.status]),
    [[2, "met"]],
  );
});

test("the epoch goal compares seconds with 90", () => {
  const last = (s?: number) => evaluateGoals([], s).at(-1)!.status;
  assert.deepEqual([last(80), last(95), last()], ["met", "not met", "not measured"]);
});

test("the compile goal compares the compiled runner with op-by-op Polychip at every thread count", () => {
  const cnn = (threads: number, compiled: number) =>
    passResult(threads, [caseResult("cnn-train-64", { polychip: ok(90), "polychip-compiled": ok(compiled), pytorch: ok(20) })]);
  const goals = evaluateGoals([cnn(1, 50), cnn(2, 80)]).filter((g) => g.goal.startsWith("CNN training step compiled"));
  assert.deepEqual(
    goals.map((g) => [g.threads, g.measured, g.status]),
    [
      [1, "1.80×", "met"],
      [2, "1.13×", "not met"],
    ],
  );
});
