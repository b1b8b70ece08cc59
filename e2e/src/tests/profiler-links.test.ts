import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { StudioPage } from "../studio-page.ts";

let studio: StudioPage;

before(async () => {
  studio = await StudioPage.open();
  await studio.setCode(`
import { loadFashionMnist, DataLoader, log, tensor } from "polychip";
const data = await loadFashionMnist({ trainLimit: 48, testLimit: 10 });
const w = tensor(new Float32Array(784 * 10).fill(0.01), { shape: [784, 10] });
let step = 0;
for (const batch of new DataLoader(data.train, { batchSize: 16 })) {
  const y = tensor(batch.x, { shape: [batch.size, 784] }).matmul(w).relu();
  log(step++, { mean: await y.mean().item() });
}
`);
  await studio.run();
  assert.equal((await studio.finished(60_000)).status, "done");
  await studio.tab("profiler");
});

after(async () => {
  await studio?.close();
});

test("clicking an op-table row highlights that op's kernels on the timeline; clicking again clears it", async () => {
  const matmul = (await studio.snapshot()).opRows.find((r) => r.name === "matmul" && r.category === "kernel")!;
  assert.equal(matmul.count, 3);
  const timeline = studio.page.locator('[data-testid="timeline"]');
  assert.equal(await timeline.getAttribute("data-highlighted"), "0");
  await studio.page.click('[data-testid="op-row-matmul"]');
  assert.equal(await timeline.getAttribute("data-highlighted"), "3");
  assert.equal(await studio.page.getAttribute('[data-testid="op-row-matmul"]', "aria-pressed"), "true");
  assert.match((await studio.page.textContent('[data-testid="timeline-highlight"]')) ?? "", /^3 highlighted/);
  await studio.screenshot("profiler-linked-row");
  await studio.page.click('[data-testid="op-row-matmul"]');
  assert.equal(await timeline.getAttribute("data-highlighted"), "0");
});

test("data loading is a lane and a trace track of its own, and step 0 starts after the dataset was loaded", async () => {
  const trace = JSON.parse(await studio.page.evaluate(() => (window as any).polychipStudio.traceJson()));
  const tid = trace.traceEvents.find((e: any) => e.name === "thread_name" && e.args.name === "data loading").tid;
  const loading = trace.traceEvents.filter((e: any) => e.tid === tid && e.ph === "X");
  assert.deepEqual(
    loading.map((e: any) => e.name),
    ["load Fashion-MNIST", "next batch", "next batch", "next batch"],
  );
  const load = loading[0];
  const step0 = trace.traceEvents.find((e: any) => e.name === "step 0");
  assert.ok(step0.ts >= load.ts + load.dur, `step 0 at ${step0.ts} µs begins after the load ended at ${load.ts + load.dur} µs`);
  assert.ok(step0.ts >= loading[1].ts + loading[1].dur, "and after its batch was assembled");
  assert.match((await studio.page.textContent('[data-testid="timeline-table"]')) ?? "", /data loading4/);
  assert.ok(await studio.hoverTimelineLane(1), "a data-loading span shows a tooltip");
  assert.match((await studio.page.textContent('[data-testid="tooltip"], .tooltip')) ?? "", /(load Fashion-MNIST|next batch) data loading/);
});
