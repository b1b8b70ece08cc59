import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { inTempDir } from "./testing/temp-dir.ts";
import { loadFashionMnist } from "@polychip/datasets";
import { manualSeed, nn, saveCheckpoint, tensor, type Tensor } from "@polychip/engine";
import { NonFiniteError, parseModel, serializeModel } from "@polychip/engine/runtime";
import { evalCommand } from "./commands/eval.ts";
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
