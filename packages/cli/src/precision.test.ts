import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { useDevice } from "@polychip/engine";
import { describePrecision, precisionTraits, trainingPrecision } from "./precision.ts";

test("auto trains an NPU with float16 matmul/conv kernels in mixed-fp16, anything else in fp32", () => {
  assert.equal(trainingPrecision("auto", { kind: "npu", float16TensorOps: true }), "mixed-fp16");
  assert.equal(trainingPrecision("auto", { kind: "npu", float16TensorOps: false }), "fp32");
  assert.equal(trainingPrecision("auto", { kind: "cpu", float16TensorOps: true }), "fp32");
  assert.equal(trainingPrecision("auto", { kind: "gpu", float16TensorOps: true }), "fp32");
});

test("an explicit precision wins over the device", () => {
  assert.equal(trainingPrecision("fp32", { kind: "npu", float16TensorOps: true }), "fp32");
  assert.equal(trainingPrecision("mixed-fp16", { kind: "cpu", float16TensorOps: false }), "mixed-fp16");
});

test("npu-sim has the float16 tensor kernels; the int8-only edge chip does not", async () => {
  await useDevice("npu-sim");
  await useDevice("npu-sim-edge");
  assert.deepEqual(precisionTraits("npu-sim"), { kind: "npu", float16TensorOps: true });
  assert.deepEqual(precisionTraits("npu-sim-edge"), { kind: "npu", float16TensorOps: false });
  assert.equal(precisionTraits("cpu").kind, "cpu");
});

test("the report line says where the float32 master weights are", () => {
  assert.match(describePrecision("mixed-fp16"), /float16 matmul\/conv.*float32 master weights/);
  assert.match(describePrecision("fp32"), /^fp32/);
});
