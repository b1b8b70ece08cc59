import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import "@polychip/devices";
import { fallbackReport, resetFallbackReport, setWarningHandler, useDevice } from "@polychip/engine";
import { PRIMITIVES } from "@polychip/hal";
import { formatSummary, runConformance } from "@polychip/onnx/conformance";

const path = process.env.POLYCHIP_ONNX_CORPUS ?? fileURLToPath(new URL("../../../../shared/conformance/onnx-node", import.meta.url));
const corpus = existsSync(path) ? path : undefined;

/** Issue 14's npu-sim criterion: the shared ONNX corpus at 95% or better, with no required primitive leaving the chip. */
test("the shared ONNX corpus on npu-sim: at least 95% pass and no required primitive falls back to the cpu", {
  skip: corpus ? false : "../shared/conformance/onnx-node is not present (set POLYCHIP_ONNX_CORPUS to run it)",
}, async (t) => {
  setWarningHandler(() => {});
  await useDevice("npu-sim");
  resetFallbackReport();
  const summary = await runConformance([corpus!], { device: "npu-sim" });
  t.diagnostic(formatSummary(summary));
  assert.ok(summary.passed / summary.results.length >= 0.95, `pass rate ${summary.passed}/${summary.results.length} is below 95%`);
  const primitives = new Set(PRIMITIVES.map((op) => op.name));
  const fellBack = fallbackReport().filter((r) => r.device === "npu-sim" && r.to === "cpu");
  t.diagnostic(`fell back to the cpu: ${fellBack.map((r) => `${r.op}(${r.dtype})`).join(", ") || "nothing"}`);
  assert.deepEqual(
    fellBack.filter((r) => primitives.has(r.op)).map((r) => `${r.op}(${r.dtype}): ${r.reason}`),
    [],
  );
});
