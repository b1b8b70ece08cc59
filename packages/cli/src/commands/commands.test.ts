import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadFashionMnist } from "@polychip/datasets";
import { manualSeed, saveCheckpoint } from "@polychip/engine";
import { FormatError, parseModel, PolychipError, ShapeError } from "@polychip/engine/runtime";
import { writeFileAtomic } from "../files.ts";
import { mlp } from "../models.ts";
import { evaluate } from "../training.ts";
import { evalCommand } from "./eval.ts";
import { exportCommand } from "./export.ts";
import { runCommand } from "./run.ts";

async function withCheckpoint(fn: (dir: string, checkpoint: string) => Promise<void>): Promise<void> {
  manualSeed(5);
  const dir = await mkdtemp(join(tmpdir(), "polychip-cli-"));
  const model = mlp();
  try {
    await writeFileAtomic(join(dir, "mlp.pcck"), await saveCheckpoint(model.stateDict(), { model: "mlp", testAccuracy: 0.1 }));
    await fn(dir, join(dir, "mlp.pcck"));
  } finally {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

test("export writes a .pcm holding the traced, optimised model with dynamic batch and the checkpoint's metadata", async () => {
  await withCheckpoint(async (dir, checkpoint) => {
    const result = await exportCommand({ checkpoint, out: join(dir, "mlp.pcm"), json: true });
    const graph = parseModel(new Uint8Array(await readFile(result.out)));
    assert.equal(result.nodes, 6);
    assert.deepEqual(graph.inputs[0]!.shape, ["batch", 1, 28, 28]);
    assert.deepEqual(graph.outputs[0]!.shape, ["batch", 10]);
    assert.equal(graph.metadata?.model, "mlp");
    assert.equal(graph.metadata?.testAccuracy, "0.1");
  });
});

test("export refuses a checkpoint that does not name its model", async () => {
  await withCheckpoint(async (dir) => {
    await writeFileAtomic(join(dir, "anon.pcck"), await saveCheckpoint(new Map(), {}));
    await assert.rejects(
      exportCommand({ checkpoint: join(dir, "anon.pcck"), out: join(dir, "x.pcm"), json: true }),
      (e: Error) => e instanceof FormatError && /meta\.model/.test(e.message),
    );
  });
});

test("run feeds a JSON input file to the model and returns every output", async () => {
  await withCheckpoint(async (dir, checkpoint) => {
    await exportCommand({ checkpoint, out: join(dir, "mlp.pcm"), json: true });
    await writeFile(join(dir, "in.json"), JSON.stringify({ input: { shape: [2, 1, 28, 28], data: new Array(2 * 784).fill(0.5) } }));
    const result = await runCommand({ model: join(dir, "mlp.pcm"), device: "cpu", input: join(dir, "in.json"), json: true });
    assert.deepEqual(result.outputs.output!.shape, [2, 10]);
    assert.deepEqual(result.outputs.output!.data!.slice(0, 10), result.outputs.output!.data!.slice(10), "two equal rows give equal logits");
    await writeFile(join(dir, "bad.json"), JSON.stringify({ input: { shape: [2, 784], data: new Array(2 * 784).fill(0) } }));
    await assert.rejects(
      runCommand({ model: join(dir, "mlp.pcm"), device: "cpu", input: join(dir, "bad.json"), json: true }),
      (e: Error) => e instanceof ShapeError && /input 'input': expected shape \[batch, 1, 28, 28\]/.test(e.message),
    );
    await writeFile(join(dir, "broken.json"), "{ not json");
    await assert.rejects(runCommand({ model: join(dir, "mlp.pcm"), device: "cpu", input: join(dir, "broken.json"), json: true }), FormatError);
  });
});

test("eval of the exported model gives exactly the accuracy the eager model has", async () => {
  await withCheckpoint(async (dir, checkpoint) => {
    await exportCommand({ checkpoint, out: join(dir, "mlp.pcm"), json: true });
    const result = await evalCommand({ model: join(dir, "mlp.pcm"), data: "fashion-mnist", device: "cpu", subset: true, json: true });
    const data = await loadFashionMnist({ subset: true });
    manualSeed(5);
    const model = mlp();
    const eager = await evaluate(model, data.test, "cpu");
    model.dispose();
    assert.equal(result.count, 2000);
    assert.equal(result.accuracy, eager.accuracy);
    await assert.rejects(evalCommand({ model: join(dir, "mlp.pcm"), data: "cifar", device: "cpu", subset: true, json: true }), /unknown dataset 'cifar'/);
  });
});

test("--onnx either writes through @polychip/onnx or says clearly that it is missing", async () => {
  await withCheckpoint(async (dir, checkpoint) => {
    try {
      const result = await exportCommand({ checkpoint, out: join(dir, "mlp.pcm"), onnx: join(dir, "mlp.onnx"), json: true });
      assert.ok(result.onnxBytes! > 100_000, "the ONNX file holds the weights");
    } catch (err) {
      assert.ok(err instanceof PolychipError && /@polychip\/onnx/.test(err.message), String(err));
    }
  });
});
