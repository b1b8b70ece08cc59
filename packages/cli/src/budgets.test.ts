import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { saveCheckpoint } from "@polychip/engine";
import { OutOfMemoryError, parseModel, serializeModel } from "@polychip/engine/runtime";
import { evalCommand } from "./commands/eval.ts";
import { exportCommand } from "./commands/export.ts";
import { runCommand } from "./commands/run.ts";
import { mlp } from "./models.ts";
import { inTempDir } from "./testing/temp-dir.ts";

async function exportedMlp(dir: string): Promise<string> {
  const model = mlp();
  await writeFile(join(dir, "m.pcck"), await saveCheckpoint(model.stateDict(), { model: "mlp" }));
  model.dispose();
  await exportCommand({ checkpoint: join(dir, "m.pcck"), out: join(dir, "m.pcm"), json: true });
  return join(dir, "m.pcm");
}

test("eval of a model with a fixed batch of 1e9 fails with a clear OutOfMemoryError, not a RangeError", async () => {
  await inTempDir(async (dir) => {
    const graph = parseModel(await readFile(await exportedMlp(dir)));
    const huge = { ...graph, inputs: [{ ...graph.inputs[0]!, shape: [1e9, 1, 28, 28] }], outputs: [{ ...graph.outputs[0]!, shape: [1e9, 10] }] };
    await writeFile(join(dir, "huge.pcm"), serializeModel(huge));
    await assert.rejects(
      evalCommand({ model: join(dir, "huge.pcm"), data: "fashion-mnist", device: "cpu", subset: true, json: true }),
      (e: Error) => e instanceof OutOfMemoryError && /input 'input' float32\[1000000000, 1, 28, 28\] needs 3\.14 TB/.test(e.message),
    );
  });
});

test("run without --json summarises a large output instead of copying it into the result", async () => {
  await inTempDir(async (dir) => {
    const model = await exportedMlp(dir);
    await writeFile(join(dir, "in.json"), JSON.stringify({ input: { shape: [300, 1, 28, 28], data: new Array(300 * 784).fill(0.25) } }));
    const summary = await runCommand({ model, device: "cpu", input: join(dir, "in.json"), json: false });
    const out = summary.outputs.output!;
    assert.deepEqual(out.shape, [300, 10]);
    assert.equal(out.data, undefined, "no copy of the 3,000 values");
    assert.equal(out.preview!.length, 16);
    assert.ok(out.min! <= out.mean! && out.mean! <= out.max!);
    const full = await runCommand({ model, device: "cpu", input: join(dir, "in.json"), json: true });
    assert.equal(full.outputs.output!.data!.length, 3000, "--json still gives every value");
    assert.deepEqual(full.outputs.output!.data!.slice(0, 16), out.preview);
  });
});
