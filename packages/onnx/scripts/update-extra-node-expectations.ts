/**
 * Runs conformance/extra-node's tests on the CPU device and rewrites
 * conformance/extra-node-cpu-expectations.json with every test that does not pass and its reason.
 * Run: node --import tsx scripts/update-extra-node-expectations.ts
 */
import { writeFileSync } from "node:fs";
import { formatSummary, runConformance } from "../src/conformance.ts";
import { EXTRA_NODE_CPU_EXPECTATIONS, extraNodeTests } from "../src/conformance/extra-node.ts";

const summary = await runConformance(extraNodeTests(), { device: "cpu" });
const expected = Object.fromEntries(
  summary.results.filter((r) => r.status !== "pass").map((r) => [r.name, { status: r.status, reason: `${r.op ? `${r.op}: ` : ""}${r.reason ?? ""}` }]),
);
const file = { device: "cpu", corpus: "packages/onnx/conformance/extra-node (ONNX backend node tests)", summary: formatSummary(summary), expected };
writeFileSync(EXTRA_NODE_CPU_EXPECTATIONS, `${JSON.stringify(file, null, 2)}\n`);
console.log(`${formatSummary(summary)}; wrote ${EXTRA_NODE_CPU_EXPECTATIONS}`);
