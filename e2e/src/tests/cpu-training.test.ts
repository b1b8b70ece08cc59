import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { nestingProblems } from "@polychip/studio";
import { mean, StudioPage, withConstant } from "../studio-page.ts";

const STEPS = 40;
let studio: StudioPage;

before(async () => {
  studio = await StudioPage.open();
});

after(async () => {
  await studio?.close();
});

test("the studio opens offline with the editor, the examples gallery and the devices", async () => {
  const { page } = studio;
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, "COOP/COEP headers make the page cross-origin isolated");
  await page.click('[data-testid="open-gallery"]');
  const cards = await page.locator("[data-example]").count();
  assert.equal(cards, 5);
  await studio.screenshot("gallery");
  await page.click('[data-testid="gallery"] button:has-text("Close")');
  const snap = await studio.snapshot();
  assert.ok(snap.devices?.some((d) => d.name === "cpu" && d.available));
  for (const d of snap.devices ?? []) if (!d.available) assert.ok(d.reason && d.reason.length > 10, `${d.name} says why it is unavailable`);
  await studio.tab("devices");
  await studio.screenshot("devices");
});

test("IntelliSense knows the Polychip API: a misspelt engine method is underlined", async () => {
  const { page } = studio;
  await studio.setCode('import { tensor } from "polychip";\nconst t = tensor([1, 2, 3]);\nt.sqaure();\n');
  await page.waitForFunction(() => (window as any).polychipStudio.editorMarkers() > 0, undefined, { timeout: 60_000 });
  await page.waitForSelector(".monaco-editor .squiggly-error", { timeout: 10_000 });
  await studio.setCode('import { tensor } from "polychip";\nconst t = tensor([1, 2, 3]);\nt.square();\n');
  await page.waitForFunction(() => (window as any).polychipStudio.editorMarkers() === 0, undefined, { timeout: 60_000 });
});

test(`the CNN example trains on cpu for ${STEPS} steps: loss falls, conv and matmul kernels, the page stays responsive`, async () => {
  const code = withConstant(await studio.openExample("fashion-cnn"), "STEPS", STEPS);
  await studio.setCode(code);
  await studio.selectDevice("cpu");
  await studio.tab("profiler");
  await studio.startStallMonitor();
  await studio.run();
  const snap = await studio.finished();
  const stall = await studio.stopStallMonitor();
  assert.equal(snap.status, "done", `run ended with ${snap.status}: ${snap.error?.message}`);
  // A 50 ms timer must have fired at least once per 200 ms of the run, however short the run is.
  assert.ok(
    stall.ticks >= Math.max(1, Math.floor(stall.elapsed / 200)),
    `the page timer fired ${stall.ticks} times in ${stall.elapsed.toFixed(0)} ms of training`,
  );
  assert.ok(
    stall.max < 200,
    `the page's main thread stalled for ${stall.max.toFixed(0)} ms (long gaps: ${stall.long.map((g) => `${g.gap.toFixed(0)} ms at ${g.at.toFixed(0)}`).join(", ")})`,
  );

  const losses = snap.metrics.map((m) => m.values.loss!);
  assert.equal(losses.length, STEPS);
  assert.ok(
    mean(losses.slice(-10)) < mean(losses.slice(0, 10)) - 0.2,
    `loss fell: ${mean(losses.slice(0, 10)).toFixed(3)} → ${mean(losses.slice(-10)).toFixed(3)}`,
  );
  const kernels = snap.opRows.filter((r) => r.device === "cpu" && r.category === "kernel").map((r) => r.name);
  assert.ok(kernels.includes("conv2d"), `conv2d in ${kernels.join(", ")}`);
  assert.ok(kernels.includes("matmul"), `matmul in ${kernels.join(", ")}`);
  assert.ok(
    snap.console.some((c) => /test accuracy: \d+\.\d%/.test(c.text)),
    "the example printed its test accuracy",
  );
  await studio.screenshot("profiler");
  const timeline = studio.page.locator('[data-testid="timeline"]');
  assert.equal(await timeline.getAttribute("role"), "img");
  assert.match((await timeline.getAttribute("aria-label")) ?? "", /Kernel timeline: [\d,]+ events on \d+ tracks/);
  assert.ok((await studio.page.locator('[data-testid="timeline-table"] tbody tr').count()) >= 1, "the timeline has a table alternative");
  assert.ok(await studio.hoverTimelineLane(-1), "an event of the timeline's last lane shows a tooltip");
  const tooltip = studio.page.locator('[data-testid="tooltip"], .tooltip');
  assert.ok(((await tooltip.boundingBox())?.height ?? 0) > 30, "the tooltip shows its details, not one line");
  assert.equal(await studio.clippedFraction('[data-testid="tooltip"], .tooltip'), 0, "no part of the tooltip is cut off");
  assert.match((await tooltip.textContent()) ?? "", /\d (ns|µs|ms|s) at \d/, "durations carry their unit");
  await studio.screenshot("profiler-tooltip");
  const table = (await studio.page.textContent('[data-testid="op-table"]')) ?? "";
  assert.doesNotMatch(table, /\de[+-]\d/, "no exponent notation in the op table");
  await studio.page.mouse.move(0, 0);
  await studio.tab("charts");
  await studio.page.waitForSelector('[data-testid="chart-loss"] svg path');
  await studio.screenshot("charts");
});

test("the Chrome trace export parses and its events nest", async () => {
  await studio.tab("profiler");
  const [download] = await Promise.all([studio.page.waitForEvent("download"), studio.page.click('[data-testid="export-trace"]')]);
  const trace = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.ok(Array.isArray(trace.traceEvents));
  const complete = trace.traceEvents.filter((e: { ph: string }) => e.ph === "X");
  assert.ok(complete.some((e: { name: string }) => e.name === "conv2d"));
  assert.equal(complete.filter((e: { cat: string }) => e.cat === "step").length, STEPS);
  assert.deepEqual(nestingProblems(trace), []);
});

test("the graph view shows the traced CNN, or says why it cannot", async () => {
  await studio.tab("graph");
  const snap = await studio.snapshot();
  if (snap.features?.trace?.ok) {
    await studio.page.waitForSelector('[data-testid="graph-svg"] .node, [data-testid="graph-unavailable"]', { timeout: 30_000 });
    const graph = (await studio.snapshot()).graph;
    assert.ok(graph?.ok, `the graph view rendered: ${graph && !graph.ok ? graph.reason : "no graph"}`);
    const ops = (await studio.snapshot()).graph?.value?.nodes.map((n) => n.op) ?? [];
    assert.ok(ops.includes("conv2d"), `conv2d in the graph: ${ops.join(", ")}`);
    await studio.page.fill('[data-testid="graph-search"]', "conv");
    assert.ok((await studio.page.locator(".node.hit").count()) >= 2);
  } else {
    await studio.page.waitForSelector('[data-testid="graph-unavailable"]');
  }
  await studio.screenshot("graph");
});

test("the trained model downloads as a checkpoint", async () => {
  await studio.tab("model");
  const [download] = await Promise.all([studio.page.waitForEvent("download"), studio.page.click('[data-testid="export-checkpoint"]')]);
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.subarray(0, 4).toString("latin1"), "PCCK");
  assert.match((await studio.page.textContent(".model-panel")) ?? "", /\b\d{1,3}(,\d{3})+ parameters/, "the parameter count has thousands separators");
  await studio.screenshot("model");
});

test("the data view shows the embedded subset, and the light theme renders", async () => {
  await studio.tab("data");
  await studio.page.waitForSelector('[data-testid="data-thumbs"] canvas');
  await studio.screenshot("data");
  await studio.page.click('[data-testid="theme"]');
  await studio.tab("charts");
  await studio.screenshot("charts-light");
  assert.deepEqual(studio.pageErrors, []);
});
