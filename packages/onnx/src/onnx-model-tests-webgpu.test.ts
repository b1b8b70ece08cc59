import assert from "node:assert/strict";
import "@polychip/devices";
import { after, test } from "node:test";
import { removeDevice, useDevice } from "@polychip/engine";
import { checkExpectations, formatSummary, loadExpectations, runConformance } from "./conformance.ts";
import { BURN_ONNX_CASES, ONNX_MODEL_TESTS, TRACT_CASES } from "./conformance/committed-corpora.ts";

const webgpu = await useDevice("webgpu").then(
  () => undefined,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);

after(() => removeDevice("webgpu"));

test("ONNX's backend model tests on webgpu pass exactly what passes on cpu", { skip: webgpu ?? false }, async () => {
  const expectations = await loadExpectations(ONNX_MODEL_TESTS.expectationsPath("cpu"));
  const summary = await runConformance(ONNX_MODEL_TESTS.tests(), { device: "webgpu" });
  const report = checkExpectations(summary.results, expectations);
  const lines = [
    ...report.unexpected.map((r) => `new ${r.status}: ${r.name}: ${r.op ? `${r.op}: ` : ""}${r.reason}`),
    ...report.stale.map((n) => `${n} passes on webgpu but is listed for cpu`),
  ];
  assert.equal(lines.length, 0, `${formatSummary(summary)}\n${lines.join("\n")}`);
  assert.ok(summary.passed >= 134, formatSummary(summary));
});

for (const corpus of [TRACT_CASES, BURN_ONNX_CASES]) {
  test(`${corpus.name} pass on webgpu as on cpu`, { skip: webgpu ?? false }, async () => {
    const report = checkExpectations(
      (await runConformance(corpus.tests(), { device: "webgpu" })).results,
      await loadExpectations(corpus.expectationsPath("cpu")),
    );
    const lines = [
      ...report.unexpected.map((r) => `new ${r.status}: ${r.name}: ${r.reason}`),
      ...report.stale.map((n) => `${n} passes on webgpu but is listed for cpu`),
    ];
    assert.deepEqual(lines, []);
  });
}
