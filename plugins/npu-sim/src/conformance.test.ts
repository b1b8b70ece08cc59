import assert from "node:assert/strict";
import { test } from "node:test";
import { runConformance } from "@polychip/plugin-sdk/kit";
import npuSimPlugin from "./index.ts";

test("the conformance kit passes every npu-sim kernel and reports the other ops as missing, not failed", async () => {
  const report = await runConformance(npuSimPlugin);
  const failures = report.records.filter((r) => r.status === "fail").map((r) => `${r.op} ${r.dtype} ${r.case}: ${r.message}`);
  assert.deepEqual(failures, []);
  const passed = report.cells.filter((c) => c.status === "pass").map((c) => `${c.op}/${c.dtype}`).sort();
  const expected = [
    ...["add", "mul", "relu", "maxPool2d", "avgPool2d", "softmax"].flatMap((op) => [`${op}/float32`, `${op}/float16`]),
    "matmul/float16",
    "conv2d/float16",
    // Quantisation on the chip's vector unit (HAL 1.1), checked against the CPU's kernels.
    "quantizeLinear/float32",
    "quantizeLinear/float16",
    "dequantizeLinear/int8",
    "dequantizeLinear/uint8",
    "dequantizeLinear/int32",
  ].sort();
  assert.deepEqual(passed, expected);
  const missing = new Set(report.cells.filter((c) => c.status === "missing").map((c) => `${c.op}/${c.dtype}`));
  for (const cell of ["matmul/float32", "matmul/int8", "conv2d/float32", "exp/float16", "gather/float32", "add/int32"]) assert.ok(missing.has(cell), cell);
  assert.equal(report.summary, `${expected.length} passed, 0 failed, ${missing.size} missing`);
});
