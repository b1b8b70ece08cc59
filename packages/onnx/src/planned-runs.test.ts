import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { OnnxSession } from "./session.ts";
import { fetchModel, REAL_MODELS } from "./real-models/cache.ts";
import { polychipFeeds } from "./real-models/feeds.ts";
import { REAL_MODEL_INPUTS } from "./real-models/inputs.ts";

/**
 * The engine session runs a signature's first run node by node and later ones from a plan
 * (engine/src/runtime/run-plan.ts). On real models, with input sizes taking turns, every planned
 * run must give exactly the first run's values. POLYCHIP_SKIP_REAL_MODELS=1 skips (say why).
 */
const skip = process.env.POLYCHIP_SKIP_REAL_MODELS === "1" ? "POLYCHIP_SKIP_REAL_MODELS=1" : false;

for (const name of ["openwakeword-hello-deepa", "silero-vad-op18", "silero-vad-v4-legacy"]) {
  test(`${name}: planned runs, input sizes taking turns, equal the first node-by-node run bit for bit`, { skip }, async () => {
    const model = REAL_MODELS.find((m) => m.name === name)!;
    const session = await OnnxSession.create(new Uint8Array(readFileSync(await fetchModel(model))), { device: "cpu" });
    const sets = REAL_MODEL_INPUTS[name]!().map(polychipFeeds);
    try {
      const first = [];
      for (const feeds of sets) first.push(await session.run(feeds));
      for (let round = 0; round < 3; round++) {
        for (const [k, feeds] of sets.entries()) {
          const got = await session.run(feeds);
          for (const [output, want] of Object.entries(first[k]!)) {
            assert.deepEqual(got[output]!.shape, want.shape);
            assert.deepEqual(Array.from(got[output]!.data), Array.from(want.data), `round ${round}, input set ${k}, output '${output}'`);
          }
        }
      }
      for (const feeds of sets) assert.equal((await session.planFor(feeds)).session.planCount, 1, "the runs after the first were planned");
    } finally {
      session.dispose();
    }
  });
}
