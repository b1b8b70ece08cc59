import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { StudioPage, withConstant } from "../studio-page.ts";

let studio: StudioPage;

before(async () => {
  studio = await StudioPage.open();
});

after(async () => {
  await studio?.close();
});

async function requireFeatures(names: string[]): Promise<string | undefined> {
  const features = (await studio.snapshot()).features ?? {};
  for (const n of names) if (!features[n]?.ok) return `${n} unavailable: ${features[n]?.reason ?? "unknown"}`;
  return undefined;
}

test("the transformer example traces with a fixed batch, says so, and exports ONNX and .pcm", async (t) => {
  const missing = await requireFeatures(["trace", "onnx", "runtime"]);
  if (missing) return t.skip(missing);
  await studio.setCode(withConstant(await studio.openExample("char-transformer"), "STEPS", 3));
  await studio.run();
  const snap = await studio.finished();
  assert.equal(snap.status, "done", snap.error?.message);
  await studio.tab("graph");
  await studio.page.waitForSelector('[data-testid="graph-svg"] .node, [data-testid="graph-unavailable"]', { timeout: 60_000 });
  const graph = (await studio.snapshot()).graph;
  assert.ok(graph?.ok, `the transformer traced: ${graph && !graph.ok ? graph.reason : "no graph"}`);
  const ops = graph.value!.nodes.map((n) => n.op);
  assert.ok(ops.includes("matmul") && ops.includes("softmax"), `attention ops in the graph: ${ops.join(", ")}`);
  assert.match((await studio.page.textContent('[data-testid="graph-note"]')) ?? "", /fixed batch of 1/);
  await studio.screenshot("graph-transformer");

  await studio.tab("model");
  for (const format of ["onnx", "pcm"] as const) {
    const [download] = await Promise.all([studio.page.waitForEvent("download"), studio.page.click(`[data-testid="export-${format}"]`)]);
    const bytes = readFileSync(await download.path());
    assert.ok(bytes.length > 10_000, `${format}: ${bytes.length} bytes`);
    assert.match((await studio.page.textContent('[data-testid="export-status"]')) ?? "", new RegExp(`\\.${format}: .* downloaded — traced with a fixed batch of 1`));
  }
});
