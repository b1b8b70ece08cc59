import assert from "node:assert/strict";
import { test } from "node:test";
import { chip, ramp, runNpu, tensor } from "./test-support.ts";

const addOf = (n: number) => [tensor("float16", [n], ramp(n)), tensor("float16", [n], ramp(n, -1, 1, 2))];

/** A small chip whose tensor unit, not its DRAM, limits a matmul, so compute scaling shows. */
const computeBound = { cores: 4, fp16MacsPerCycle: 64, dramBandwidthGBps: 400, neuronRamKiB: 256, weightRamKiB: 256 };

test("doubling the DRAM bandwidth halves the cycles of a DMA-bound add", async () => {
  const slow = await runNpu(chip({ dramBandwidthGBps: 51.2 }), "add", addOf(1 << 16));
  const fast = await runNpu(chip({ dramBandwidthGBps: 102.4 }), "add", addOf(1 << 16));
  assert.equal(slow.stats.boundBy, "dma");
  assert.ok(fast.stats.cycles < slow.stats.cycles);
  assert.ok(Math.abs(fast.stats.cycles / slow.stats.cycles - 0.5) < 0.05, `ratio ${fast.stats.cycles / slow.stats.cycles}`);
  assert.equal(fast.stats.dmaBytes, slow.stats.dmaBytes);
});

test("doubling the DRAM bandwidth barely moves a compute-bound matmul", async () => {
  const run = (bw: number) =>
    runNpu(chip({ ...computeBound, dramBandwidthGBps: bw }), "matmul", [
      tensor("float16", [128, 64], ramp(128 * 64)),
      tensor("float16", [64, 64], ramp(64 * 64, -1, 1, 3)),
    ]);
  const [a, b] = [await run(400), await run(800)];
  assert.equal(a.stats.boundBy, "compute");
  assert.ok(b.stats.cycles / a.stats.cycles > 0.9, `ratio ${b.stats.cycles / a.stats.cycles}`);
});

test("matmul cycles grow linearly in M for fixed K and N", async () => {
  const cycles: number[] = [];
  for (const M of [64, 128, 256]) {
    const r = await runNpu(chip(computeBound), "matmul", [tensor("float16", [M, 64], ramp(M * 64)), tensor("float16", [64, 64], ramp(64 * 64, -1, 1, 3))]);
    assert.equal(r.stats.macs, M * 64 * 64);
    cycles.push(r.stats.cycles);
  }
  for (let i = 1; i < cycles.length; i++) {
    const ratio = cycles[i]! / cycles[i - 1]!;
    assert.ok(ratio > 1.8 && ratio < 2.2, `cycles ${cycles.join(", ")}: ratio ${ratio}`);
  }
});

test("a compute-bound matmul keeps the tensor units mostly busy", async () => {
  const r = await runNpu(chip(computeBound), "matmul", [tensor("float16", [256, 64], ramp(256 * 64)), tensor("float16", [64, 64], ramp(64 * 64))]);
  assert.ok(r.stats.macUtilisation > 0.7 && r.stats.macUtilisation <= 1, `utilisation ${r.stats.macUtilisation}`);
});

test("more tensor-unit MACs per cycle make a compute-bound matmul faster", async () => {
  const inputs = [tensor("float16", [128, 64], ramp(128 * 64)), tensor("float16", [64, 64], ramp(64 * 64))];
  const base = await runNpu(chip(computeBound), "matmul", inputs);
  const wide = await runNpu(chip({ ...computeBound, fp16MacsPerCycle: 128 }), "matmul", inputs);
  assert.ok(wide.stats.cycles < 0.6 * base.stats.cycles, `${wide.stats.cycles} vs ${base.stats.cycles}`);
});

test("on-chip RAM high-water never exceeds the profile, even when tiles must shrink", async () => {
  const profile = { cores: 2, neuronRamKiB: 8, weightRamKiB: 4 };
  const x = tensor("float16", [1, 8, 20, 20], ramp(8 * 400));
  const w = tensor("float16", [16, 8, 3, 3], ramp(16 * 72, -1, 1, 5));
  const runs = [
    await runNpu(chip(profile), "conv2d", [x, w], { pads: [1, 1, 1, 1] }),
    await runNpu(chip(profile), "matmul", [tensor("float16", [96, 80], ramp(96 * 80)), tensor("float16", [80, 72], ramp(80 * 72))]),
    await runNpu(chip(profile), "maxPool2d", [x], { kernel: [2, 2], strides: [2, 2] }),
    await runNpu(chip(profile), "softmax", [tensor("float32", [64, 100], ramp(6400))], { axis: 1 }),
    await runNpu(chip(profile), "add", addOf(20000)),
  ];
  for (const { stats } of runs) {
    assert.ok(stats.tiles > 1, `${stats.op} ran in ${stats.tiles} tile`);
    assert.ok(stats.neuronRamHighWaterBytes <= 8 * 1024, `${stats.op} neuron high-water ${stats.neuronRamHighWaterBytes}`);
    assert.ok(stats.weightRamHighWaterBytes <= 4 * 1024, `${stats.op} weight high-water ${stats.weightRamHighWaterBytes}`);
    assert.equal(stats.onChipHighWaterBytes, stats.neuronRamHighWaterBytes + stats.weightRamHighWaterBytes);
  }
});

test("DMA bytes count every input and output byte of a streaming kernel", async () => {
  const r = await runNpu(chip(), "add", addOf(1000));
  assert.equal(r.stats.dmaBytes, 1000 * (2 + 2 + 2));
});

test("a matmul's weights are loaded once per core, not once per tile", async () => {
  const r = await runNpu(chip({ cores: 2 }), "matmul", [tensor("float16", [256, 32], ramp(256 * 32)), tensor("float16", [32, 16], ramp(32 * 16))]);
  const aBytes = 256 * 32 * 2;
  const outBytes = 256 * 16 * 2;
  const bBytes = 32 * 16 * 2;
  assert.ok(r.stats.tiles >= 4);
  assert.equal(r.stats.dmaBytes, aBytes + outBytes + 2 * bBytes);
});

test("simulated time is cycles at the profile's clock", async () => {
  const r = await runNpu(chip({ clockMHz: 500 }), "add", addOf(4096));
  assert.equal(r.stats.simulatedMs, r.stats.cycles / 500e3);
});
