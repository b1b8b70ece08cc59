import assert from "node:assert/strict";
import { test } from "node:test";
import { DeviceError, HAL_VERSION, KernelRegistry, PRIMITIVES, COMPOSITES } from "@polychip/hal";
import { isWebGpuAvailable, webgpuKernels, webgpuPlugin, WebGpuDevice } from "./index.ts";

test("the plugin creates a WebGPU device through Dawn in Node", async () => {
  assert.equal(webgpuPlugin.name, "webgpu");
  assert.equal(webgpuPlugin.halVersion, HAL_VERSION);
  const device = await webgpuPlugin.create();
  assert.ok(device instanceof WebGpuDevice);
  assert.equal(device.info.name, "webgpu");
  await device.dispose?.();
});

test("isWebGpuAvailable finds the adapter", async () => {
  assert.equal(await isWebGpuAvailable(), true);
});

test("no adapter is a DeviceError explaining why", async () => {
  const gpu = { requestAdapter: async () => null } as unknown as GPU;
  await assert.rejects(
    async () => webgpuPlugin.create({ gpu }),
    (err: unknown) => err instanceof DeviceError && /no WebGPU adapter/.test(err.message),
  );
  assert.equal(await isWebGpuAvailable(gpu), false);
});

/** Composites WebGPU runs through their HAL decomposition (on its own kernels) by choice, not by omission. */
const DECOMPOSED_ON_WEBGPU = [
  "softplus",
  "argsort",
  "batchNormTraining",
  "batchNormTrainingRelu",
  "batchNormTrainingGrad",
  "batchNormTrainingReluGrad",
  /* channels-last convs: webgpu never asks for them (HAL 1.6) */ "conv2dNhwc",
  "conv2dNhwcEpilogue",
];

test("every HAL primitive and every composite but the decomposed ones has exactly one WebGPU kernel", () => {
  const ops = webgpuKernels.map((k) => k.op);
  assert.equal(new Set(ops).size, ops.length);
  // Of the quantised composites (HAL 1.1, 1.7) only integerMatmul has a kernel: the others run their decompositions.
  const expected = [...[...PRIMITIVES, ...COMPOSITES].map((d) => d.name).filter((n) => !DECOMPOSED_ON_WEBGPU.includes(n)), "integerMatmul"];
  assert.deepEqual([...ops].sort(), expected.sort());
  const registry = new KernelRegistry();
  registry.registerAll(webgpuKernels);
  assert.ok(webgpuKernels.every((k) => k.device === "webgpu"));
});

test("ops with dtype restrictions register only what the HAL allows", () => {
  const dtypesOf = (op: string) => webgpuKernels.find((k) => k.op === op)!.dtypes;
  assert.deepEqual(dtypesOf("exp"), ["float32", "float16"]);
  assert.deepEqual(dtypesOf("logicalAnd"), ["bool"]);
  assert.deepEqual(dtypesOf("where"), ["bool"]);
  assert.ok(!(dtypesOf("neg") as string[]).includes("uint8"));
});
