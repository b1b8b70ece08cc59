import assert from "node:assert/strict";
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
  for (const cell of ["matmul/float32", "matmul/int8", "copy/bool", "where/float16", "gather/int32", "randomUniform/float16", "conv2d/float16", "softmax/float32"]) {
    assert.ok(passed.has(cell), cell);
  }
  // Composites without a kernel run their decomposition on the chip; nothing falls back to the CPU.
  const decomposed = report.cells.filter((c) => c.status === "decomposed");
  assert.ok(decomposed.length > 0 && decomposed.every((c) => !primitives.has(c.op)));
  assert.equal(report.summary, `${report.passed} passed, 0 failed, 0 missing, ${decomposed.length} decomposed on the device`);
});
