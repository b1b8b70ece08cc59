import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { manualSeed, noGrad, randn } from "@polychip/engine";
import { optimize, trace } from "@polychip/engine/graph";
import { createSession } from "@polychip/engine/runtime";
import { loadModel, saveModel } from "./model-files.ts";
import { cnn, mlp } from "./models.ts";

for (const [name, build] of [
  ["MLP", mlp],
  ["CNN", cnn],
] as const) {
  test(`${name}: trace → optimise → save → load → run gives outputs bit-identical to eager on cpu`, async () => {
    manualSeed(11);
    const model = build();
    const dir = await mkdtemp(join(tmpdir(), "polychip-deploy-"));
    try {
      const example = randn([2, 1, 28, 28]);
      const graph = await optimize(await trace(model, [example], { dynamicBatch: true, name }));
      await saveModel(graph, join(dir, "model.pcm"));
      const loaded = await loadModel(join(dir, "model.pcm"));
      const x = randn([3, 1, 28, 28]);
      model.eval();
      const y = noGrad(() => model.forward(x));
      const expected = Array.from(await y.data());
      const session = await createSession(loaded, { device: "cpu" });
      const out = await session.run({ input: { data: await x.data(), shape: [3, 1, 28, 28] } });
      session.dispose();
      assert.deepEqual(out.output!.shape, [3, 10]);
      assert.deepEqual(Array.from(out.output!.data), expected);
      for (const t of [example, x, y]) t.dispose();
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
