import assert from "node:assert/strict";
import { basename } from "node:path";
import { test } from "node:test";
import "@polychip/devices";
import { loadExpectations, runConformance } from "./conformance.ts";
import { EXTRA_NODE_DEVICES, extraNodeExpectationsPath, extraNodeTests } from "./conformance/extra-node.ts";

/**
 * ONNX's own backend node tests for the operators the shared corpus lacks (conformance/extra-node,
 * copied from onnx/onnx: see the README there), on cpu and on npu-sim (a plugin that falls back to
 * the cpu per op it lacks). Each must pass unless conformance/extra-node-<device>-expectations.json
 * lists it, and a listed test must end exactly as listed (skip or fail): one that passes now, or
 * ends otherwise, fails here. Regenerate with scripts/update-extra-node-expectations.ts.
 */
const paths = extraNodeTests();

test("the extra node tests are present", () => {
  assert.ok(paths.length >= 1250, `only ${paths.length} tests found`);
});

for (const device of EXTRA_NODE_DEVICES) {
  const file = `conformance/${basename(extraNodeExpectationsPath(device))}`;
  const { expected } = await loadExpectations(extraNodeExpectationsPath(device));
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
