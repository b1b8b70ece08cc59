import assert from "node:assert/strict";
import { test } from "node:test";
import { KernelError } from "@polychip/hal";
import { chip, ramp, runNpu, tensor } from "./test-support.ts";

const tiny = { cores: 3, neuronRamKiB: 4, weightRamKiB: 2 };

test("softmax over a row longer than the neuron RAM cannot tile and says so", async () => {
  await assert.rejects(
    runNpu(chip(tiny), "softmax", [tensor("float32", [1, 4096], ramp(4096))], { axis: 1 }),
    (err: unknown) =>
      err instanceof KernelError &&
      /softmax: cannot tile: a row of 4096 float32 elements needs \d+ bytes of neuron RAM but a core has 4096/.test((err as Error).message),
  );
});

test("conv2d whose one output row needs more neuron RAM than a core has cannot tile", async () => {
  await assert.rejects(
    runNpu(chip(tiny), "conv2d", [tensor("float16", [1, 16, 3, 200], ramp(16 * 600)), tensor("float16", [1, 16, 3, 3], ramp(144))]),
    (err: unknown) => err instanceof KernelError && /conv2d: cannot tile conv2d input .* per core, but a core of/.test((err as Error).message),
  );
});

test("tiling a matmul into many small tiles does not change a single result bit", async () => {
  const inputs = [tensor("float16", [2, 40, 70], ramp(2 * 40 * 70)), tensor("float16", [2, 70, 30], ramp(2 * 70 * 30, -1, 1, 7))];
  const big = await runNpu(chip({ cores: 1 }), "matmul", inputs);
  const small = await runNpu(chip(tiny), "matmul", inputs);
  assert.equal(big.stats.tiles, 2);
  assert.ok(small.stats.tiles > 10 * big.stats.tiles, `${small.stats.tiles} vs ${big.stats.tiles} tiles`);
  assert.deepEqual([...small.values], [...big.values]);
});

test("tiling a conv2d over output channels and rows does not change a single result bit", async () => {
  const inputs = [
    tensor("float16", [2, 4, 12, 12], ramp(2 * 4 * 144)),
    tensor("float16", [8, 4, 3, 3], ramp(8 * 36, -1, 1, 9)),
    tensor("float16", [8], ramp(8)),
  ];
  const attrs = { pads: [1, 1, 1, 1], activation: "relu" };
  const big = await runNpu(chip({ cores: 1 }), "conv2d", inputs, attrs);
  const small = await runNpu(chip(tiny), "conv2d", inputs, attrs);
  assert.equal(big.stats.tiles, 2);
  assert.ok(small.stats.tiles > 2 * big.stats.tiles, `${small.stats.tiles} vs ${big.stats.tiles} tiles`);
  assert.deepEqual([...small.values], [...big.values]);
});

test("an empty tensor runs no tiles and costs nothing", async () => {
  const r = await runNpu(chip(), "relu", [tensor("float32", [0, 5], [])]);
  assert.equal(r.stats.tiles, 0);
  assert.equal(r.stats.cycles, 0);
  assert.equal(r.stats.boundBy, "idle");
});
