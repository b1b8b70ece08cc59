import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadFashionMnist } from "@polychip/datasets";
import { manualSeed, saveCheckpoint } from "@polychip/engine";
import { PolychipError } from "@polychip/engine/runtime";
import { firstImages, measureDeployment, prepareModel } from "../deployment.ts";
import { writeFileAtomic } from "../files.ts";
import { loadModel } from "../model-files.ts";
import { mlp } from "../models.ts";
import { deployCommand } from "./deploy.ts";
import { evaluateGraph } from "../graph-accuracy.ts";
import { graphFromCheckpoint } from "./export.ts";
import { trainCommand } from "./train.ts";

/** A fixed part of the embedded 2,000-image test split: the simulated NPU runs a few dozen CNN images a second here. */
const TEST_IMAGES = 500;

test("the Fashion-MNIST CNN trained on cpu loses at most 0.2 points in fp16 and 1.0 point in int8 on npu-sim, and int8 is faster", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "polychip-deploy-cnn-"));
  try {
    // One epoch of the embedded 10,000 training images: a CNN at ~80%, the real thing to quantise.
    const trained = await trainCommand({
      model: "cnn",
      epochs: 1,
      batch: 64,
      lr: 1e-3,
      device: "cpu",
      subset: true,
      out: join(dir, "cnn.pcck"),
      json: true,
      seed: 1,
    });
    const { graph } = await graphFromCheckpoint(trained.checkpoint);
    const data = await loadFashionMnist({ subset: true });
    const test = firstImages(data.test, TEST_IMAGES);
    const fp32 = await evaluateGraph(graph, test, "cpu");
    const fp16 = await measureDeployment(await prepareModel(graph, "fp16", data.train, { images: 512, observer: "percentile" }), "npu-sim", test);
    const int8 = await measureDeployment(await prepareModel(graph, "int8", data.train, { images: 512, observer: "percentile" }), "npu-sim", test);
    const points = (a: number) => (fp32.accuracy - a) * 100;
    t.diagnostic(
      `first ${TEST_IMAGES} test images: fp32 cpu ${fp32.accuracy}, fp16 npu-sim ${fp16.accuracy}, int8 npu-sim ${int8.accuracy}; ` +
        `simulated ms per image at batch 64: fp16 ${fp16.latency.perImageMs}, int8 ${int8.latency.perImageMs}`,
    );
    assert.ok(fp32.accuracy > 0.7, `fp32 accuracy ${fp32.accuracy}`);
    assert.ok(points(fp16.accuracy) <= 0.2 + 1e-9, `fp16 ${fp16.accuracy} vs fp32 ${fp32.accuracy}`);
    assert.ok(points(int8.accuracy) <= 1.0 + 1e-9, `int8 ${int8.accuracy} vs fp32 ${fp32.accuracy}`);
    for (const r of [fp16, int8]) {
      assert.equal(r.images, TEST_IMAGES);
      assert.deepEqual(r.fallbacks, [], "every op of the deployed CNN runs on the chip");
      assert.equal(r.claims.length, 1, "the whole network is one claimed subgraph");
      assert.ok(r.latency.simulated);
      assert.ok(r.chip && r.chip.macs > 0 && r.chip.macUtilisation > 0 && r.chip.dmaBytes > 0);
    }
    assert.ok(int8.latency.batch1Ms < fp16.latency.batch1Ms, `batch 1: int8 ${int8.latency.batch1Ms} ms vs fp16 ${fp16.latency.batch1Ms} ms`);
    assert.ok(int8.latency.perImageMs < fp16.latency.perImageMs, `batch 64: int8 ${int8.latency.perImageMs} vs fp16 ${fp16.latency.perImageMs} ms per image`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function withMlpCheckpoint(fn: (dir: string, checkpoint: string) => Promise<void>): Promise<void> {
  manualSeed(3);
  const dir = await mkdtemp(join(tmpdir(), "polychip-deploy-"));
  const model = mlp();
  try {
    await writeFileAtomic(join(dir, "mlp.pcck"), await saveCheckpoint(model.stateDict(), { model: "mlp" }));
    await fn(dir, join(dir, "mlp.pcck"));
  } finally {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

test("deploy --int8 from a checkpoint reports accuracy, simulated latency, fallbacks and chip figures, and saves the int8 model", async () => {
  await withMlpCheckpoint(async (dir, checkpoint) => {
    const result = await deployCommand({
      model: checkpoint,
      device: "npu-sim",
      precision: "int8",
      calibrate: 128,
      observer: "minmax",
      data: "fashion-mnist",
      subset: true,
      limit: 200,
      baseline: true,
      out: join(dir, "mlp-int8.pcm"),
      json: true,
    });
    assert.equal(result.images, 200);
    assert.equal(result.precision, "int8");
    assert.match(result.calibration!, /^minmax over 128 samples$/);
    assert.ok(result.latency.simulated && result.latency.batch1Ms > 0 && result.latency.perImageMs > 0);
    assert.ok(result.latency.perImageMs < result.latency.batch1Ms, "a batch of 64 shares the weight traffic");
    assert.deepEqual(result.fallbacks, []);
    assert.ok(Math.abs(result.accuracy - result.baseline!.accuracy) <= 0.03, `${result.accuracy} vs ${result.baseline!.accuracy}`);
    const saved = await loadModel(join(dir, "mlp-int8.pcm"));
    assert.ok(saved.nodes.some((n) => n.op === "quantizedConv2d"));
    assert.equal(saved.metadata?.precision, "int8");
  });
});

test("deploy in fp32 to the cpu is timed by the wall clock; float32 on npu-sim runs on its vector unit with nothing falling back", async () => {
  await withMlpCheckpoint(async (_dir, checkpoint) => {
    const args = {
      model: checkpoint,
      precision: "fp32" as const,
      calibrate: 1,
      observer: "percentile" as const,
      data: "fashion-mnist",
      subset: true,
      limit: 64,
      baseline: false,
      json: true,
    };
    const cpu = await deployCommand({ ...args, device: "cpu" });
    assert.equal(cpu.latency.simulated, false);
    assert.deepEqual(cpu.fallbacks, []);
    const npu = await deployCommand({ ...args, device: "npu-sim" });
    assert.deepEqual(npu.fallbacks, []);
    assert.equal(npu.latency.simulated, true);
    assert.equal(npu.accuracy, cpu.accuracy);
  });
});

test("deploy refuses an unknown dataset", async () => {
  await assert.rejects(
    deployCommand({
      model: "x.pcm",
      device: "npu-sim",
      precision: "int8",
      calibrate: 1,
      observer: "minmax",
      data: "cifar",
      subset: true,
      baseline: false,
      json: true,
    }),
    (e: Error) => e instanceof PolychipError && /deploy: unknown dataset 'cifar'/.test(e.message),
  );
});
