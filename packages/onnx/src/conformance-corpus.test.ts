import assert from "node:assert/strict";
import { test } from "node:test";
import { checkExpectations, formatSummary, loadExpectations, runConformance } from "./conformance.ts";
import { CPU_EXPECTATIONS, sharedCorpusPath } from "./conformance/corpus.ts";

const corpus = sharedCorpusPath();

test("the shared ONNX corpus on cpu: every test passes except those listed in conformance/cpu-expectations.json", {
  skip: corpus ? false : "../shared/conformance/onnx-node is not present (set POLYCHIP_ONNX_CORPUS to run it)",
}, async () => {
  const expectations = await loadExpectations(CPU_EXPECTATIONS);
  const summary = await runConformance([corpus!], { device: "cpu" });
  const report = checkExpectations(summary.results, expectations);
  const lines = [
    ...report.unexpected.map((r) => `new ${r.status}: ${r.name}: ${r.op ? `${r.op}: ` : ""}${r.reason}`),
    ...report.stale.map((n) => `${n} passes now: remove it from conformance/cpu-expectations.json`),
  ];
  assert.equal(lines.length, 0, `${formatSummary(summary)}\n${lines.join("\n")}`);
  assert.ok(summary.passed / summary.results.length >= 0.95, `pass rate ${summary.passed}/${summary.results.length} is below 95%`);
});
