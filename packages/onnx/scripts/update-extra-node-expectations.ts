/**
 * Runs conformance/extra-node's tests on each device the CI runs them on and rewrites
 * conformance/extra-node-<device>-expectations.json with every test that does not pass, its
 * status and its reason. A reason already written for a test whose status has not changed is kept
 * (some are explained by hand, e.g. where Polychip departs from ONNX's reference on purpose).
 * Run: node --import tsx scripts/update-extra-node-expectations.ts
 */
import "@polychip/devices";
import { existsSync, writeFileSync } from "node:fs";
import { formatSummary, loadExpectations, runConformance } from "../src/conformance.ts";
import { EXTRA_NODE_DEVICES, extraNodeExpectationsPath, extraNodeTests } from "../src/conformance/extra-node.ts";

for (const device of EXTRA_NODE_DEVICES) {
  const path = extraNodeExpectationsPath(device);
  const before = existsSync(path) ? (await loadExpectations(path)).expected : {};
  const summary = await runConformance(extraNodeTests(), { device });
  const expected = Object.fromEntries(
    summary.results
      .filter((r) => r.status !== "pass")
      .map((r) => {
        const kept = before[r.name]?.status === r.status ? before[r.name]?.reason : undefined;
        return [r.name, { status: r.status, reason: kept ?? `${r.op ? `${r.op}: ` : ""}${r.reason ?? ""}` }];
      }),
  );
  const file = { device, corpus: "packages/onnx/conformance/extra-node (ONNX backend node tests)", summary: formatSummary(summary), expected };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`${device}: ${formatSummary(summary)}; wrote ${path}`);
}
