import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { inTempDir } from "./testing/temp-dir.ts";
import { loadFashionMnist } from "@polychip/datasets";
import { manualSeed, nn, saveCheckpoint, tensor, type Tensor } from "@polychip/engine";
import { execute, NonFiniteError, parseModel, serializeModel } from "@polychip/engine/runtime";
import { deployCommand } from "./commands/deploy.ts";
import { evalCommand } from "./commands/eval.ts";
import { firstImages } from "./deployment.ts";
import { evaluateGraph } from "./graph-accuracy.ts";
import { exportCommand } from "./commands/export.ts";
import { saveCheckpointFile } from "./commands/train.ts";
import { mlp } from "./models.ts";
import { train } from "./training.ts";

/** An MLP with a log in the middle: standardised pixels are negative, so the first forward pass makes NaN. */
class LogMlp extends nn.Module {
  readonly body = mlp();
  forward(x: Tensor): Tensor {
    return this.body.forward(x.log());
  }
}

async function withNaNWeight(model: nn.Module): Promise<Map<string, Tensor>> {
  const state = model.stateDict();
  const [name, w] = [...state][0]!;
  const values = Float32Array.from(await w.data());
  values[3] = NaN;
  state.set(name, tensor(values, { shape: w.shape }));
  return state;
}

test("training stops at the first non-finite loss, names the op that produced it, and leaves the weights unchanged", async () => {
  manualSeed(3);
  const data = await loadFashionMnist({ subset: true });
  const model = new LogMlp();
  const before = await Promise.all(model.parameters().map((p) => p.data().then((d) => Array.from(d))));
  await assert.rejects(
    train(model, data.train, { epochs: 1, batchSize: 32, lr: 1e-3, device: "cpu", seed: 1, progress: false, maxSteps: 5 }),
    (e: Error) =>
      e instanceof NonFiniteError &&
      /train: step 1 \(epoch 1\): loss NaN/.test(e.message) &&
      /op 'log' on 'cpu' produced NaN .*its inputs were finite/.test(e.message),
  );
  const after = await Promise.all(model.parameters().map((p) => p.data().then((d) => Array.from(d))));
  assert.deepEqual(after, before, "no update ran");
  model.dispose();
});

test("a non-finite model is never saved over a finite checkpoint", async () => {
  await inTempDir(async (dir) => {
    manualSeed(4);
    const model = mlp();
    const path = join(dir, "run.pcck");
    await saveCheckpointFile(model, path, { model: "mlp" });
    const good = await readFile(path);
    const broken = mlp();
    broken.loadStateDict(await withNaNWeight(model));
    await assert.rejects(
      saveCheckpointFile(broken, path, { model: "mlp" }),
      (e: Error) => e instanceof NonFiniteError && /not saving .*run\.pcck: weight '.*' holds NaN at element 3/.test(e.message),
    );
    assert.deepEqual(await readFile(path), good, "the finite checkpoint is untouched");
    assert.deepEqual(await readdir(dir), ["run.pcck"]);
    model.dispose();
    broken.dispose();
  });
});

test("export refuses a checkpoint holding NaN and writes nothing", async () => {
  await inTempDir(async (dir) => {
    const model = mlp();
    await writeFile(join(dir, "nan.pcck"), await saveCheckpoint(await withNaNWeight(model), { model: "mlp" }));
    await assert.rejects(
      exportCommand({ checkpoint: join(dir, "nan.pcck"), out: join(dir, "nan.pcm"), json: true }),
      (e: Error) => e instanceof NonFiniteError && /nan\.pcck: weight '.*' holds NaN at element 3; refusing a non-finite model/.test(e.message),
    );
    assert.deepEqual(await readdir(dir), ["nan.pcck"]);
    model.dispose();
  });
});

test("eval refuses a model file holding infinity", async () => {
  await inTempDir(async (dir) => {
    const model = mlp();
    await writeFile(join(dir, "ok.pcck"), await saveCheckpoint(model.stateDict(), { model: "mlp" }));
    await exportCommand({ checkpoint: join(dir, "ok.pcck"), out: join(dir, "ok.pcm"), json: true });
    const graph = parseModel(await readFile(join(dir, "ok.pcm")));
    const data = Float32Array.from(graph.initializers[0]!.data);
    data[0] = Infinity;
    const [first, ...rest] = graph.initializers;
    await writeFile(join(dir, "inf.pcm"), serializeModel({ ...graph, initializers: [{ ...first!, data }, ...rest] }));
    await assert.rejects(
      evalCommand({ model: join(dir, "inf.pcm"), data: "fashion-mnist", device: "cpu", subset: true, json: true }),
      (e: Error) => e instanceof NonFiniteError && /inf\.pcm: weight '.*' holds Infinity at element 0/.test(e.message),
    );
    model.dispose();
  });
});

/** The exported MLP with its logits masked: class 9 gets a constant −∞ added, then a `where` fills class 8 with a −∞ scalar. */
async function maskedMlp(dir: string, mask: number[]): Promise<string> {
  const model = mlp();
  await writeFile(join(dir, "ok.pcck"), await saveCheckpoint(model.stateDict(), { model: "mlp" }));
  model.dispose();
  await exportCommand({ checkpoint: join(dir, "ok.pcck"), out: join(dir, "ok.pcm"), json: true });
  const graph = parseModel(await readFile(join(dir, "ok.pcm")));
  const logits = graph.outputs[0]!;
  const masked = serializeModel({
    ...graph,
    initializers: [
      ...graph.initializers,
      { name: "mask", dtype: "float32", shape: [1, 10], data: Float32Array.from(mask) },
      { name: "keep", dtype: "bool", shape: [1, 10], data: Uint8Array.from({ length: 10 }, (_, i) => (i === 8 ? 0 : 1)) },
      { name: "minusInf", dtype: "float32", shape: [], data: Float32Array.of(-Infinity) },
    ],
    nodes: [
      ...graph.nodes,
      { op: "add", inputs: [logits.name, "mask"], outputs: ["added"], attrs: {} },
      { op: "where", inputs: ["keep", "added", "minusInf"], outputs: ["masked"], attrs: {} },
    ],
    outputs: [{ ...logits, name: "masked" }],
  });
  const path = join(dir, "masked.pcm");
  await writeFile(path, masked);
  return path;
}

test("eval and deploy run a model whose constant masks hold −∞ (a causal mask's values, a masked_fill scalar)", async () => {
  await inTempDir(async (dir) => {
    const model = await maskedMlp(dir, [0, 0, 0, 0, 0, 0, 0, 0, 0, -Infinity]);
    const evaluated = await evalCommand({ model, data: "fashion-mnist", device: "cpu", subset: true, json: true });
    assert.ok(evaluated.count > 0 && evaluated.accuracy >= 0);
    const deployed = await deployCommand({
      model,
      device: "cpu",
      precision: "fp32",
      calibrate: 1,
      observer: "percentile",
      data: "fashion-mnist",
      subset: true,
      limit: 32,
      baseline: false,
      json: true,
    });
    const data = await loadFashionMnist({ subset: true });
    const graph = parseModel(await readFile(model));
    assert.equal(deployed.accuracy, (await evaluateGraph(graph, firstImages(data.test, 32), "cpu")).accuracy);
    const { masked } = await execute(graph, { input: { data: data.test.images.subarray(0, 784), shape: [1, 1, 28, 28] } });
    assert.deepEqual(Array.from(masked!.data).slice(8), [-Infinity, -Infinity], "both masks took effect");
  });
});

test("eval refuses NaN in a mask, and an infinity that a matmul reads", async () => {
  await inTempDir(async (dir) => {
    const nan = await maskedMlp(dir, [0, 0, 0, NaN, 0, 0, 0, 0, 0, -Infinity]);
    await assert.rejects(
      evalCommand({ model: nan, data: "fashion-mnist", device: "cpu", subset: true, json: true }),
      (e: Error) => e instanceof NonFiniteError && /weight 'mask' holds NaN at element 3; refusing a non-finite model/.test(e.message),
    );
    const graph = parseModel(await readFile(join(dir, "ok.pcm")));
    const weight = graph.initializers.find((i) => graph.nodes.some((n) => n.op === "matmul" && n.inputs.includes(i.name)))!;
    const data = Float32Array.from(weight.data);
    data[5] = -Infinity;
    await writeFile(join(dir, "bad.pcm"), serializeModel({ ...graph, initializers: graph.initializers.map((i) => (i === weight ? { ...i, data } : i)) }));
    await assert.rejects(
      evalCommand({ model: join(dir, "bad.pcm"), data: "fashion-mnist", device: "cpu", subset: true, json: true }),
      (e: Error) => e instanceof NonFiniteError && /holds -Infinity at element 5 and is read by matmul/.test(e.message),
    );
  });
});
