/**
 * Runs the shared ONNX corpus on the CPU device and rewrites conformance/cpu-expectations.json
 * with every test that does not pass and its reason. Run: node --import tsx scripts/update-expectations.ts
 */
import { writeFileSync } from "node:fs";
import { formatSummary, runConformance } from "../src/conformance.ts";
import { CPU_EXPECTATIONS, sharedCorpusPath } from "../src/conformance/corpus.ts";

const corpus = sharedCorpusPath();
if (!corpus) throw new Error("the shared corpus (../shared/conformance/onnx-node) is not here");
const summary = await runConformance([corpus], { device: "cpu" });
const expected = Object.fromEntries(
  summary.results.filter((r) => r.status !== "pass").map((r) => [r.name, { status: r.status, reason: `${r.op ? `${r.op}: ` : ""}${r.reason ?? ""}` }]),
);
const file = {
  device: "cpu",
  corpus: "shared/conformance/onnx-node (ONNX v1.22.0 backend node tests)",
  summary: formatSummary(summary),
  expected,
};
writeFileSync(CPU_EXPECTATIONS, `${JSON.stringify(file, null, 2)}\n`);
console.log(`${formatSummary(summary)}; wrote ${CPU_EXPECTATIONS}`);
