import { test } from "node:test";
import assert from "node:assert/strict";
import { StudioStore } from "./store.ts";

const batch = (step: number) => ({
  origin: 0,
  console: [{ level: "log" as const, text: `step ${step}`, time: step }],
  metrics: [{ step, time: step, values: { loss: 1 } }],
  events: [],
  ranges: [],
  steps: [],
  data: [],
});

test("batches that arrive after a run is stopped are ignored", () => {
  const store = new StudioStore();
  store.startRun(1, "cpu");
  store.addBatch(1, batch(0));
  store.finishRun(1, { status: "stopped" });
  store.addBatch(1, batch(1));
  const s = store.getSnapshot();
  assert.deepEqual(
    s.metrics.map((m) => m.step),
    [0],
  );
  assert.deepEqual(
    s.console.map((c) => c.text),
    ["step 0"],
  );
});

test("batches of an earlier run are ignored by the next one", () => {
  const store = new StudioStore();
  store.startRun(1, "cpu");
  store.startRun(2, "cpu");
  store.addBatch(1, batch(5));
  store.addBatch(2, batch(0));
  assert.deepEqual(
    store.getSnapshot().metrics.map((m) => m.step),
    [0],
  );
});
