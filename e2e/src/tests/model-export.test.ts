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
  // A node's properties: attributes, and its inputs and outputs with shapes and dtypes.
  const softmax = graph.value!.nodes.findIndex((n) => n.op === "softmax");
  await studio.page.click(`[data-node="${softmax}"]`);
  const props = studio.page.locator('[data-testid="node-properties"]');
  await props.waitFor();
  assert.equal((await props.locator("h3").textContent())?.trim(), "softmax");
  assert.match((await props.locator('[data-testid="node-attributes"]').textContent()) ?? "", /axis/, "softmax's axis attribute is listed");
  assert.match(
    (await props.locator('[data-testid="node-inputs"]').textContent()) ?? "",
    /float32\[1, 4, 24, 24\]/,
    "the input's shape and dtype (batch, heads, queries, keys)",
  );
  // Zoom: the buttons scale the drawing; Reset brings it back.
  await studio.page.click('[data-testid="graph-zoom-in"]');
  assert.equal(await studio.page.textContent('[data-testid="graph-zoom"]'), "125%");
  assert.match((await studio.page.getAttribute('[data-testid="graph-viewport"]', "transform")) ?? "", /scale\(1\.25\)/);
  await studio.screenshot("graph-transformer");

  await studio.tab("model");
  for (const format of ["onnx", "pcm"] as const) {
    const [download] = await Promise.all([studio.page.waitForEvent("download"), studio.page.click(`[data-testid="export-${format}"]`)]);
    const bytes = readFileSync(await download.path());
    assert.ok(bytes.length > 10_000, `${format}: ${bytes.length} bytes`);
    // The status line changes once the page has handed the file over, which may come after the download event.
    const status = '[data-testid="export-status"]';
    await studio.page
      .waitForFunction(([sel, ext]) => (document.querySelector(sel)?.textContent ?? "").includes(`.${ext}: `), [status, format] as const, { timeout: 10_000 })
      .catch(() => undefined);
    assert.match((await studio.page.textContent(status)) ?? "", new RegExp(`\\.${format}: .* downloaded — traced with a fixed batch of 1`));
  }
});

test("a file only named .onnx is not called an ONNX model, and its error names it once", async () => {
  await studio.page.evaluate(() => {
    let seed = 11;
    const bytes = Uint8Array.from({ length: 500 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "garbage.onnx"));
    window.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await studio.page.waitForFunction(() => (window as any).polychipStudio.snapshot().files.some((f: { name: string }) => f.name === "garbage.onnx"));
  const file = (await studio.snapshot()).files.find((f) => f.name === "garbage.onnx")!;
  assert.equal(file.kind, "unknown");
  assert.equal(file.detail, "not an ONNX model");
  await studio.tab("data");
  const row = (await studio.page.textContent('[data-testid="dropped-files"]')) ?? "";
  assert.match(row, /not an ONNX model: /);
  assert.doesNotMatch(row, /garbage\.onnx.*garbage\.onnx/, "the name is said once");
  await studio.tab("model");
  assert.equal(await studio.page.locator('button:has-text("Load and run")').count(), 0, "it is not offered as a model to run");
});

test("the header names the example only while the editor holds it", async () => {
  await studio.openExample("fashion-mlp");
  assert.equal(await studio.page.textContent('[data-testid="code-label"]'), "Fashion-MNIST MLP");
  await studio.setCode('import { tensor } from "polychip";\nconsole.log(tensor([1]).toString());\n');
  await studio.page.waitForFunction(() => document.querySelector('[data-testid="code-label"]')?.textContent === "your code");
});
