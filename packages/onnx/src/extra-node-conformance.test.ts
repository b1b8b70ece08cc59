import assert from "node:assert/strict";
import { test } from "node:test";
import { loadExpectations, runConformance } from "./conformance.ts";
import { EXTRA_NODE_CPU_EXPECTATIONS, extraNodeTests } from "./conformance/extra-node.ts";

/**
 * ONNX's backend node tests for the operators added after the shared corpus (Einsum, Trilu,
 * OneHot, EyeLike, Attention, RotaryEmbedding, Compress, Lp*, MVN, Shrink, ReverseSequence, the
 * bitwise ops, Det, Unique), in conformance/extra-node. Each must pass on cpu unless
 * conformance/extra-node-cpu-expectations.json lists it with its reason; a listed test that
 * passes is stale and fails too.
 */
const paths = extraNodeTests();

test("the extra node tests are present", () => {
  assert.ok(paths.length >= 300, `only ${paths.length} tests found`);
});

const expectations = await loadExpectations(EXTRA_NODE_CPU_EXPECTATIONS);
const summary = await runConformance(paths, { device: "cpu" });

for (const result of summary.results) {
  const listed = expectations.expected[result.name];
  test(`${result.name} ${listed ? `does not pass, as listed: ${listed.reason}` : "passes on cpu"}`, () => {
    if (listed) assert.notEqual(result.status, "pass", `${result.name} passes now: remove it from conformance/extra-node-cpu-expectations.json`);
    else assert.equal(result.status, "pass", `${result.name}: ${result.status}: ${result.op ? `${result.op}: ` : ""}${result.reason ?? ""}`);
  });
}
