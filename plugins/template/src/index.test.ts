import assert from "node:assert/strict";
import { before, test } from "node:test";
import { PRIMITIVES } from "@polychip/hal";
import { runConformance, type ConformanceReport } from "@polychip/plugin-sdk/kit";
import plugin from "./index.ts";

let report: ConformanceReport;
before(async () => {
  report = await runConformance(plugin);
});

test("the conformance kit passes every kernel of the plugin against the CPU reference", () => {
  const failures = report.records.filter((r) => r.status === "fail").map((r) => `${r.op} ${r.dtype} ${r.case}: ${r.message}`);
  assert.deepEqual(failures, []);
  assert.equal(report.summary, `${report.passed} passed, 0 failed, 0 missing, ${report.decomposed} decomposed on the device`);
});

test("every required primitive has a kernel: nothing falls back, composites run their decompositions on the device", () => {
  const primitives = new Set(PRIMITIVES.map((op) => op.name));
  const missingPrimitives = report.cells.filter((c) => c.status === "missing").map((c) => `${c.op}/${c.dtype}`);
  assert.deepEqual(missingPrimitives, []);
  assert.ok(report.cells.filter((c) => c.status === "decomposed").every((c) => !primitives.has(c.op)));
  assert.ok(report.passed > 0);
});
