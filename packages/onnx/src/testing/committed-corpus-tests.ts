import assert from "node:assert/strict";
import { basename } from "node:path";
import { test } from "node:test";
import { loadExpectations, runConformance } from "../conformance.ts";
import type { CommittedCorpus } from "../conformance/committed-corpora.ts";

/**
 * One test per corpus test and device: it must pass unless the device's expectation file lists it,
 * and a listed test must end exactly as listed (skip or fail): one that passes now, or ends
 * otherwise, fails here. Regenerate the lists with scripts/update-corpus-expectations.ts.
 */
export async function testCommittedCorpus(corpus: CommittedCorpus): Promise<void> {
  const paths = corpus.tests();
  test(`the ${corpus.name} tests are present, each name once`, () => {
    assert.ok(paths.length >= corpus.minimum, `only ${paths.length} tests found in ${corpus.folder}`);
    assert.equal(new Set(paths.map((p) => basename(p))).size, paths.length, "two test folders share a name");
  });
  for (const device of corpus.devices) {
    const file = `conformance/${basename(corpus.expectationsPath(device))}`;
    const { expected } = await loadExpectations(corpus.expectationsPath(device));
    const summary = await runConformance(paths, { device });
    for (const result of summary.results) {
      const listed = expected[result.name];
      test(`${result.name} on ${device} ${listed ? `ends in ${listed.status}, as listed: ${listed.reason}` : "passes"}`, () => {
        const got = `${result.status}${result.status === "pass" ? "" : `: ${result.op ? `${result.op}: ` : ""}${result.reason ?? ""}`}`;
        if (listed) assert.equal(result.status, listed.status, `${result.name} was listed in ${file} as ${listed.status} but is now ${got}`);
        else assert.equal(result.status, "pass", `${result.name}: ${got}`);
      });
    }
  }
}
