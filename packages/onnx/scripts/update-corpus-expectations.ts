/**
 * Runs each committed corpus (conformance/extra-node, conformance/onnx-models) on the devices the CI
 * runs it on and rewrites conformance/<corpus>-<device>-expectations.json with every test that does
 * not pass, its status and its reason. A reason already written for a test whose status has not
 * changed is kept (some are explained by hand, e.g. where Polychip departs from ONNX's reference on
 * purpose). Run: node --import tsx scripts/update-corpus-expectations.ts [corpus name…]
 */
import "@polychip/devices";
import { existsSync, writeFileSync } from "node:fs";
import { formatSummary, loadExpectations, runConformance } from "../src/conformance.ts";
import { COMMITTED_CORPORA } from "../src/conformance/committed-corpora.ts";

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !COMMITTED_CORPORA.some((c) => c.name === n));
if (unknown.length > 0) throw new Error(`no committed corpus named ${unknown.join(", ")} (there are ${COMMITTED_CORPORA.map((c) => c.name).join(", ")})`);

for (const corpus of COMMITTED_CORPORA.filter((c) => wanted.length === 0 || wanted.includes(c.name))) {
  for (const device of corpus.devices) {
    const path = corpus.expectationsPath(device);
    const before = existsSync(path) ? (await loadExpectations(path)).expected : {};
    const summary = await runConformance(corpus.tests(), { device });
    const expected = Object.fromEntries(
      summary.results
        .filter((r) => r.status !== "pass")
        .map((r) => {
          const kept = before[r.name]?.status === r.status ? before[r.name]?.reason : undefined;
          return [r.name, { status: r.status, reason: kept ?? `${r.op ? `${r.op}: ` : ""}${r.reason ?? ""}` }];
        }),
    );
    const file = { device, corpus: corpus.description, summary: formatSummary(summary), expected };
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
    console.log(`${corpus.name} on ${device}: ${formatSummary(summary)}; wrote ${path}`);
  }
}
