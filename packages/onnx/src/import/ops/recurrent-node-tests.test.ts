import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runConformance } from "../../conformance.ts";

/**
 * ONNX's own backend node tests for LSTM, GRU and RNN (onnx 1.12, expected outputs from ONNX's
 * numpy reference), which the shared corpus lacks; written by
 * packages/onnx/scripts/generate_recurrent_node_tests.py. The batchwise ones check layout 1
 * against an oracle other than onnxruntime, which refuses it.
 */
const FIXTURES = fileURLToPath(new URL("../../../fixtures/onnx-node-recurrent", import.meta.url));

test("ONNX's LSTM, GRU and RNN node tests all pass on cpu", async () => {
  const summary = await runConformance([FIXTURES], { device: "cpu" });
  const failures = summary.results.filter((r) => r.status !== "pass").map((r) => `${r.name}: ${r.status}`);
  assert.deepEqual(failures, []);
  assert.equal(summary.passed, 12);
});
