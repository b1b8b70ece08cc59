import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { checkExpectations, formatResult, formatSummary, loadExpectations, runConformance } from "./conformance.ts";
import { CPU_EXPECTATIONS } from "./conformance/corpus.ts";

// The shared node tests converted down to opsets 1 and 6 by scripts/convert-legacy-opsets.py
// (committed fixtures): they must pass exactly where the originals pass.
const LEGACY = fileURLToPath(new URL("../conformance/legacy-opsets", import.meta.url));

for (const folder of readdirSync(LEGACY).sort()) {
  test(`the shared tests converted to ${folder} pass where the originals pass`, async () => {
    const summary = await runConformance([`${LEGACY}/${folder}`], { device: "cpu" });
    assert.ok(summary.results.length > 200, `only ${summary.results.length} converted tests in ${folder}`);
    const report = checkExpectations(summary.results, await loadExpectations(CPU_EXPECTATIONS));
    assert.equal(report.unexpected.length, 0, `${formatSummary(summary)}\n${report.unexpected.map(formatResult).join("\n")}`);
  });
}
