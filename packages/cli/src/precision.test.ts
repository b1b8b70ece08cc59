import assert from "node:assert/strict";
import { test } from "node:test";
import type { Device } from "@polychip/hal";
import { describePrecision, trainingPrecision } from "./precision.ts";

const deviceOfKind = (kind: "cpu" | "gpu" | "npu") => ({ info: { name: `a-${kind}`, kind } }) as unknown as Device;

test("auto trains an NPU in mixed-fp16 and a cpu or gpu in fp32", () => {
  assert.equal(trainingPrecision("auto", deviceOfKind("npu")), "mixed-fp16");
  assert.equal(trainingPrecision("auto", deviceOfKind("cpu")), "fp32");
  assert.equal(trainingPrecision("auto", deviceOfKind("gpu")), "fp32");
});

test("an explicit precision wins over the device's kind", () => {
  assert.equal(trainingPrecision("fp32", deviceOfKind("npu")), "fp32");
  assert.equal(trainingPrecision("mixed-fp16", deviceOfKind("cpu")), "mixed-fp16");
});

test("the report line says where the float32 master weights are", () => {
  assert.match(describePrecision("mixed-fp16"), /float16 matmul\/conv.*float32 master weights/);
  assert.match(describePrecision("fp32"), /^fp32/);
});
