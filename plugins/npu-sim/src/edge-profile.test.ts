import assert from "node:assert/strict";
import { test } from "node:test";
import { KernelError } from "@polychip/hal";
import { executorFor, runOp } from "@polychip/plugin-sdk/kit";
import { EDGE_INT8_PROFILE, MLU_CLASS_PROFILE, npuSimEdgePlugin, resolveProfile } from "./index.ts";
import { NpuSimDevice } from "./device.ts";
import { ramp, runNpu, tensor } from "./test-support.ts";

test("the edge profile is a valid chip, and the plugin creates it as its own device 'npu-sim-edge'", async () => {
  assert.deepEqual(resolveProfile({}, EDGE_INT8_PROFILE), EDGE_INT8_PROFILE);
  const edge = (await npuSimEdgePlugin.create()) as NpuSimDevice;
  assert.equal(edge.info.name, "npu-sim-edge");
  assert.equal(edge.profile.name, "edge-int8-1c");
  assert.ok(npuSimEdgePlugin.kernels.every((k) => k.device === "npu-sim-edge"));
  // No float16 tensor-unit kernels: float16 matmul is the vector unit's, float16 conv2d decomposes.
  const f16 = (op: string) => npuSimEdgePlugin.kernels.filter((k) => k.op === op && k.dtypes !== "*" && k.dtypes.includes("float16"));
  assert.equal(f16("conv2d").length, 0);
  assert.equal(f16("matmul").length, 1);
  const exec = await executorFor(npuSimEdgePlugin);
  try {
    const { values } = await runOp(exec, "matmul", [tensor("float16", [2, 2], [1, 2, 3, 4]), tensor("float16", [2, 2], [0.5, 0, 0, 0.5])]);
    assert.deepEqual(Array.from(values), [0.5, 1, 1.5, 2]);
    assert.equal((exec.device as NpuSimDevice).lastKernel?.unit, "vector");
  } finally {
    await exec.dispose();
  }
});

test("on the edge chip int8 runs on the tensor unit; float16 tensor work is refused naming the profile", async () => {
  const edge = new NpuSimDevice({ base: EDGE_INT8_PROFILE, name: "npu-sim-edge" });
  const a = tensor("float16", [4, 8], ramp(32));
  const b = tensor("float16", [8, 4], ramp(32, -0.5, 0.5, 2));
  await assert.rejects(
    runNpu(edge, "matmul", [a, b]),
    (e: unknown) => e instanceof KernelError && /tensor unit of 'edge-int8-1c' has int8 multipliers only/.test((e as Error).message),
  );
  // float32 still runs, on the vector unit.
  const f32 = await runNpu(edge, "matmul", [tensor("float32", [4, 8], ramp(32)), tensor("float32", [8, 4], ramp(32, -0.5, 0.5, 2))]);
  assert.equal(f32.stats.unit, "vector");
});

test("the same work costs the narrow, single-core edge chip far more simulated time than the MLU-class part", async () => {
  const x = tensor("float32", [64, 256], ramp(64 * 256));
  const edge = await runNpu(new NpuSimDevice({ base: EDGE_INT8_PROFILE }), "relu", [x]);
  const mlu = await runNpu(new NpuSimDevice({ base: MLU_CLASS_PROFILE }), "relu", [x]);
  assert.deepEqual(Array.from(edge.values), Array.from(mlu.values));
  assert.ok(edge.stats.simulatedMs > 20 * mlu.stats.simulatedMs, `${edge.stats.simulatedMs} vs ${mlu.stats.simulatedMs}`);
  assert.ok(edge.stats.neuronRamHighWaterBytes <= 64 * 1024);
});
