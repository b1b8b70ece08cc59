import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { StudioPage } from "../studio-page.ts";

let studio: StudioPage;
let weights: number[];

before(async () => {
  studio = await StudioPage.open();
  await studio.setCode(`
import { nn, tensor, setModel } from "polychip";
const model = new nn.Sequential(new nn.Linear(6, 4), new nn.ReLU());
console.log(Array.from(await model.parameters()[0].data()).join(","));
setModel(model, tensor(new Float32Array(12), { shape: [2, 6] }));
`);
  await studio.run();
  const snap = await studio.finished(60_000);
  assert.equal(snap.status, "done", snap.error?.message);
  weights = snap.console[0]!.text.split(",").map(Number);
  assert.equal(weights.length, 24);
});

after(async () => {
  await studio?.close();
});

test("an exported .onnx chosen in the graph view opens there; a node's weight shows min, max, mean, std and a histogram", async (t) => {
  const onnx = (await studio.snapshot()).features?.onnx;
  if (!onnx?.ok) return t.skip(`onnx unavailable: ${onnx?.reason}`);
  await studio.tab("model");
  const [download] = await Promise.all([studio.page.waitForEvent("download"), studio.page.click('[data-testid="export-onnx"]')]);
  const bytes = readFileSync(await download.path());
  await studio.tab("graph");
  await studio.page.setInputFiles('[data-testid="pick-graph-model-input"]', { name: "tiny.onnx", mimeType: "application/octet-stream", buffer: bytes });
  await studio.page.waitForFunction(() => document.querySelector(".graph-panel .toolbar b")?.textContent === "tiny.onnx", undefined, { timeout: 30_000 });
  await studio.page.click('.node:has-text("+1w")');
  const stats = studio.page.locator('[data-testid="weight-stats"][data-weight$="weight"]');
  const text = (await stats.textContent()) ?? "";
  const mean = weights.reduce((a, b) => a + b, 0) / weights.length;
  const std = Math.sqrt(weights.reduce((a, w) => a + (w - mean) ** 2, 0) / weights.length);
  const shown = (label: string) => Number(new RegExp(`${label}(-?[\\d.]+(e-?\\d+)?)`).exec(text)?.[1]);
  assert.ok(Math.abs(shown("min") - Math.min(...weights)) < 0.005, `min in ${text}`);
  assert.ok(Math.abs(shown("max") - Math.max(...weights)) < 0.005, `max in ${text}`);
  assert.ok(Math.abs(shown("std") - std) < 0.005, `std ${std} in ${text}`);
  assert.ok(Math.abs(shown("mean") - mean) < Math.max(0.005, Math.abs(mean) * 0.01), `mean ${mean} in ${text}`);
  const bins = (await stats.locator("rect").evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("data-count"))))) as number[];
  assert.equal(
    bins.reduce((a, b) => a + b, 0),
    24,
    "the histogram holds every weight",
  );
  await studio.screenshot("model-viewer-weights");
});

test("the graph exports as a standalone SVG and as a PNG", async () => {
  await studio.tab("graph");
  await studio.page.waitForSelector('[data-testid="graph-svg"] .node');
  const [svgFile] = await Promise.all([studio.page.waitForEvent("download"), studio.page.click('[data-testid="graph-export-svg"]')]);
  assert.match(svgFile.suggestedFilename(), /\.svg$/);
  const svg = readFileSync(await svgFile.path(), "utf8");
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, />matmul</, "the op names are in the file");
  assert.doesNotMatch(svg, /class=|var\(--/, "styles are inlined, not left to the page's stylesheet");
  const [pngFile] = await Promise.all([studio.page.waitForEvent("download"), studio.page.click('[data-testid="graph-export-png"]')]);
  const png = readFileSync(await pngFile.path());
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG file");
  const width = png.readUInt32BE(16);
  assert.ok(width >= 800, `drawn at twice the graph's size (${width} px wide)`);
});

test("a graph the code shows (the deployed int8 one) is offered beside the model and drawn with its int8 weights", async (t) => {
  const deploy = (await studio.snapshot()).features?.deploy;
  if (!deploy?.ok) return t.skip(`deploy unavailable: ${deploy?.reason}`);
  await studio.setCode(`
import { nn, tensor, setModel, showGraph, loadOptional } from "polychip";
const { trace } = await loadOptional("graph");
const { calibrate, quantizeGraph } = await loadOptional("deploy");
const model = new nn.Sequential(new nn.Linear(6, 4), new nn.ReLU());
const data = new Float32Array(12).map((_, i) => i / 12 - 0.5);
const x = tensor(data, { shape: [2, 6] });
setModel(model, x);
const graph = await trace(model, [x], { dynamicBatch: true });
showGraph(quantizeGraph(graph, await calibrate(graph, [{ input: { data, shape: [2, 6] } }])), "deployed int8");
`);
  await studio.run();
  assert.equal((await studio.finished(60_000)).status, "done");
  await studio.tab("graph");
  await studio.page.waitForSelector('[data-testid="graph-svg"] .node');
  assert.equal(await studio.page.textContent(".graph-panel .toolbar b"), "Sequential", "the traced model comes first");
  await studio.page.selectOption('[data-testid="graph-choice"]', "deployed int8");
  await studio.page.waitForFunction(() => document.querySelector(".graph-panel .toolbar b")?.textContent === "deployed int8");
  const ops = await studio.page.locator('[data-testid="graph-svg"] .node-op').allTextContents();
  assert.ok(ops.some((o) => o.startsWith("quantizeLinear")) && ops.some((o) => o.startsWith("dequantizeLinear")), ops.join(", "));
  await studio.page.click('.node:has-text("quantizedConv2d")');
  assert.match((await studio.page.textContent('[data-testid="node-inputs"]')) ?? "", /0\.weight_q\s*int8\[/, "the weights are int8");
  await studio.screenshot("graph-deployed-int8");
});
