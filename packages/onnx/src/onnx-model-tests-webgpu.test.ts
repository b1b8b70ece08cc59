import assert from "node:assert/strict";
import "@polychip/devices";
import { after, test } from "node:test";
import { removeDevice, useDevice } from "@polychip/engine";
import { checkExpectations, formatSummary, loadExpectations, runConformance } from "./conformance.ts";
import { ONNX_MODEL_TESTS, TRACT_CASES } from "./conformance/committed-corpora.ts";

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

test("tract's ONNX test cases pass on webgpu as on cpu", { skip: webgpu ?? false }, async () => {
  const summary = await runConformance(TRACT_CASES.tests(), { device: "webgpu" });
  const failed = summary.results.filter((r) => r.status !== "pass").map((r) => `${r.name}: ${r.status}: ${r.reason}`);
  assert.deepEqual(failed, [], formatSummary(summary));
  assert.equal(summary.passed, TRACT_CASES.tests().length);
});
