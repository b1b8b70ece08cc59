import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { PRIMITIVES } from "@polychip/hal";
import { runConformance } from "@polychip/plugin-sdk/kit";
import npuSimPlugin from "./index.ts";

test("the conformance kit passes every npu-sim kernel, and every required primitive has one at every dtype it defines", async () => {
  const report = await runConformance(npuSimPlugin);
  const failures = report.records.filter((r) => r.status === "fail").map((r) => `${r.op} ${r.dtype} ${r.case}: ${r.message}`);
  assert.deepEqual(failures, []);
  const primitives = new Set(PRIMITIVES.map((p) => p.name));
  const missingPrimitives = report.cells.filter((c) => primitives.has(c.op) && c.status !== "pass").map((c) => `${c.op}/${c.dtype}: ${c.status}`);
  assert.deepEqual(missingPrimitives, []);
  const passed = new Set(report.cells.filter((c) => c.status === "pass").map((c) => `${c.op}/${c.dtype}`));
  for (const cell of [
    "matmul/float32",
    "matmul/int8",
    "copy/bool",
    "where/float16",
    "gather/int32",
    "randomUniform/float16",
    "conv2d/float16",
    "softmax/float32",
  ]) {
    assert.ok(passed.has(cell), cell);
  }
  // Composites without a kernel run their decomposition on the chip; nothing falls back to the CPU.
  const decomposed = report.cells.filter((c) => c.status === "decomposed");
  assert.ok(decomposed.length > 0 && decomposed.every((c) => !primitives.has(c.op)));
  // Its claims on the kit's graph corpus (fused conv/linear chains, attention) match op-by-op cpu results, at both float dtypes.
  assert.ok(
    report.claims.some((c) => c.dtype === "float16" && /conv2d\+add\+relu\+maxPool2d/.test(c.claim)),
    JSON.stringify(report.claims.map((c) => c.claim)),
  );
  assert.equal(
    report.summary,
    `${report.passed} passed, 0 failed, 0 missing, ${decomposed.length} decomposed on the device; claims: ${report.claims.length} passed, 0 failed`,
  );
  // The plugin guide's figure for npu-sim is generated from docs/kit-figures.json: it must be today's.
  const figures = join(dirname(fileURLToPath(import.meta.url)), "../../../docs/kit-figures.json");
  if (existsSync(figures)) {
    const committed = (JSON.parse(readFileSync(figures, "utf8")) as { plugin: string; summary: string }[]).find((f) => f.plugin === "npu-sim");
    assert.equal(report.summary, committed?.summary, "regenerate with: node --import tsx packages/plugin-sdk/scripts/kit-figures.ts");
  }
});
