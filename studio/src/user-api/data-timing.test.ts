import { test } from "node:test";
import assert from "node:assert/strict";
import { runInNode } from "../examples/run-in-node.ts";

const PROGRAM = `
import { loadFashionMnist, DataLoader, log } from "polychip";
const data = await loadFashionMnist({ trainLimit: 64, testLimit: 10 });
let step = 0;
for (const batch of new DataLoader(data.train, { batchSize: 16 })) log(step++, { size: batch.size });
`;

test("loading a dataset and each batch is reported as data loading, in order and before the step that uses it", async () => {
  const run = await runInNode(PROGRAM);
  assert.deepEqual(
    run.data.map((d) => d.name),
    ["load Fashion-MNIST", "next batch", "next batch", "next batch", "next batch"],
  );
  assert.ok(run.data.every((d) => d.end >= d.start));
  assert.ok(run.data[0]!.end - run.data[0]!.start > 0, "decoding the dataset takes measurable time");
  assert.equal(run.metrics.length, 4);
});
