import assert from "node:assert/strict";
import "@polychip/devices";
import { after, test } from "node:test";
import { removeDevice, useDevice } from "@polychip/engine";
import { checkExpectations, formatSummary, loadExpectations, runConformance } from "./conformance.ts";
import { CPU_EXPECTATIONS, sharedCorpusPath } from "./conformance/corpus.ts";

const corpus = sharedCorpusPath();
const webgpu = await useDevice("webgpu").then(
  () => undefined,
  (err: Error) => `no WebGPU adapter here: ${err.message}`,
);

after(() => removeDevice("webgpu"));

// Issue 4: webgpu must reach the CPU's pass count; its exceptions are the CPU's (none of its own).
test("the shared ONNX corpus on webgpu passes exactly what passes on cpu", {
  skip: !corpus ? "../shared/conformance/onnx-node is not present (set POLYCHIP_ONNX_CORPUS to run it)" : (webgpu ?? false),
}, async () => {
  const expectations = await loadExpectations(CPU_EXPECTATIONS);
  const summary = await runConformance([corpus!], { device: "webgpu" });
  const report = checkExpectations(summary.results, expectations);
  const lines = [
    ...report.unexpected.map((r) => `new ${r.status}: ${r.name}: ${r.op ? `${r.op}: ` : ""}${r.reason}`),
    ...report.stale.map((n) => `${n} passes on webgpu but is listed for cpu`),
  ];
  assert.equal(lines.length, 0, `${formatSummary(summary)}\n${lines.join("\n")}`);
});
