import assert from "node:assert/strict";
import { test } from "node:test";
import { epilogueCases } from "@polychip/device-cpu";
import { gpuDevice, matchesCpu, runGpu, t, values } from "../testing/harness.ts";
import { epilogueShaderSource } from "./epilogue.ts";

const TOL = { rtol: 1e-4, atol: 1e-5 };
/** A padded conv's epilogue: bias add, then ReLU. */
const CONV_BIAS_RELU = {
  program: JSON.stringify([
    { op: "add", args: [0, 1] },
    { op: "relu", args: [2] },
  ]),
  outputs: [3],
  baseInputs: 2,
  pads: [1, 1, 1, 1],
};

async function dispatchesOf(run: () => Promise<unknown>): Promise<number> {
  const device = await gpuDevice();
  const before = device.stats.dispatches;
  await run();
  return device.stats.dispatches - before;
}

for (const c of epilogueCases()) {
  test(`${c.op} in one dispatch matches the cpu: ${c.name}`, async () => {
    assert.equal(await dispatchesOf(() => matchesCpu(c.op, c.inputs, c.attrs, TOL)), 1);
  });
}

test("an epilogue with more operands than the adapter binds runs the GEMM, then the fused kernel", async () => {
  const device = await gpuDevice();
  // a, b, the extras and the output are one binding more than the adapter has; the product, the extras and the output fit.
  const extras = device.maxStorageBuffersPerStage - 2;
  const steps = Array.from({ length: extras }, (_, k) => ({ op: "add", args: [k === 0 ? 0 : extras + k, k + 1] }));
  const attrs = { program: JSON.stringify(steps), outputs: [2 * extras], baseInputs: 2 };
  const a = t(values(12, -1, 1, 1), [3, 4]);
  const b = t(values(8, -1, 1, 2), [4, 2]);
  const inputs = [a, b, ...Array.from({ length: extras }, (_, k) => t(values(6, -1, 1, 3 + k), [3, 2]))];
  assert.equal(await dispatchesOf(() => matchesCpu("matmulEpilogue", inputs, attrs, TOL)), 2);
});

test("a float16 conv's epilogue sees the product rounded to half, as the unfused conv stores it", async () => {
  const half = (n: number, seed: number, shape: number[]) => t(values(n, -1, 1, seed), shape, "float16");

  await matchesCpu("conv2dEpilogue", [half(50, 1, [1, 2, 5, 5]), half(54, 2, [3, 2, 3, 3]), half(3, 3, [3, 1, 1])], CONV_BIAS_RELU, { rtol: 2e-3, atol: 2e-3 });
});

test("the product itself can be an output beside the activation (training keeps the pre-activation)", async () => {
  const attrs = { program: JSON.stringify([{ op: "relu", args: [0] }]), outputs: [1, 0], baseInputs: 2 };
  const [relu, product] = await runGpu("matmulEpilogue", [t([1, -2, 3, -4], [2, 2]), t([1, 0, 0, 1], [2, 2])], attrs);
  assert.deepEqual(Array.from(relu!.values), [1, 0, 3, 0]);
  assert.deepEqual(Array.from(product!.values), [1, -2, 3, -4]);
});

test("the report's WGSL for an epilogue is the GEMM whose store evaluates the program", () => {
  const wgsl = epilogueShaderSource(
    "conv2dEpilogue",
    [
      { shape: [1, 2, 5, 5], dtype: "float32" },
      { shape: [3, 2, 3, 3], dtype: "float32" },
      { shape: [3, 1, 1], dtype: "float32" },
    ],
    CONV_BIAS_RELU,
  )!;
  assert.match(wgsl, /fn epilogue_store\(e: u32, acc: f32\)/);
  assert.match(wgsl, /epilogue_store\(e, value\);/);
  assert.match(wgsl, /\/\/ relu/);
  assert.match(wgsl, /fn im2col/);
  assert.equal(epilogueShaderSource("conv2d", [], {}), undefined);
});
