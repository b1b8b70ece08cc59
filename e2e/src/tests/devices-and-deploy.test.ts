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

async function available(name: string): Promise<{ ok: boolean; reason?: string }> {
  const d = (await studio.snapshot()).devices?.find((x) => x.name === name);
  return d?.available ? { ok: true } : { ok: false, reason: d?.reason ?? `${name} is not listed` };
}

async function feature(name: string): Promise<{ ok: boolean; reason?: string }> {
  return (await studio.snapshot()).features?.[name] ?? { ok: false, reason: `${name} is unknown` };
}

test("the CNN example trains on webgpu (SwiftShader without a GPU): kernels on webgpu, loss finite", async (t) => {
  const gpu = await available("webgpu");
  if (!gpu.ok) return t.skip(`webgpu unavailable: ${gpu.reason}`);
  // A small batch: SwiftShader runs WebGPU on the CPU, and this test must not dominate the suite.
  await studio.setCode(withConstant(withConstant(await studio.openExample("fashion-cnn"), "STEPS", 6), "BATCH", 16));
  await studio.selectDevice("webgpu");
  const adapter = (await studio.snapshot()).devices?.find((d) => d.name === "webgpu");
  if (adapter?.softwareAdapter) {
    const banner = (await studio.page.locator('[data-testid="device-guidance"]').allTextContents()).join(" ");
    assert.match(banner, /webgpu runs on a software adapter/, "the user is warned before Run");
    await studio.screenshot("device-guidance-webgpu");
  }
  await studio.tab("profiler");
  await studio.run();
  const snap = await studio.finished(300_000);
  assert.equal(snap.status, "done", snap.error?.message);
  assert.equal(snap.device, "webgpu");
  const losses = snap.metrics.map((m) => m.values.loss!);
  assert.equal(losses.length, 6);
  assert.ok(losses.every(Number.isFinite) && losses[0]! > 1.5 && losses[0]! < 3.5, `losses ${losses.join(", ")}`);
  assert.ok(Math.min(...losses.slice(3)) < losses[0]!, `loss moved down: ${losses.map((l) => l.toFixed(3)).join(" ")}`);
  const gpuKernels = snap.opRows.filter((r) => r.device === "webgpu" && r.category === "kernel").map((r) => r.name);
  assert.ok(gpuKernels.includes("matmul"), `matmul ran on webgpu: ${gpuKernels.join(", ")}`);
  const compiles = snap.opRows.filter((r) => r.device === "webgpu" && r.category === "compile");
  assert.ok(compiles.length > 0, "shader compiles are listed");
  for (const r of snap.opRows) assert.ok(!r.name.includes("|") && r.name.length <= 40, `a readable op name, not a shader key: ${r.name}`);
  const keyed = studio.page.locator('[data-testid="op-table"] tr[data-category="compile"] td.op-name[title*="|"]');
  assert.ok((await keyed.count()) > 0, "the shader key is kept in the row's tooltip");
  await studio.screenshot("profiler-webgpu");
});

test("the NPU int8 example deploys on npu-sim: simulated cycles and DMA bytes in the profiler, nothing falling back", async (t) => {
  const npu = await available("npu-sim");
  if (!npu.ok) return t.skip(`npu-sim unavailable: ${npu.reason}`);
  for (const f of ["trace", "deploy", "runtime"]) {
    const r = await feature(f);
    if (!r.ok) return t.skip(`${f} unavailable: ${r.reason}`);
  }
  const guidance = async () => (await studio.page.locator('[data-testid="device-guidance"]').allTextContents()).join(" ");
  await studio.selectDevice("npu-sim");
  const noKernel = (await studio.snapshot()).devices?.find((d) => d.name === "npu-sim")?.noKernel ?? [];
  assert.deepEqual(noKernel, [], "npu-sim runs every HAL primitive on the chip");
  assert.doesNotMatch(await guidance(), /has no kernel for/, "so the banner names no missing op");
  await studio.selectDevice("cpu");
  await studio.setCode(withConstant(await studio.openExample("npu-int8"), "STEPS", 30));
  await studio.tab("profiler");
  await studio.run();
  const snap = await studio.finished(300_000);
  assert.equal(snap.status, "done", snap.error?.message);
  const npuKernels = snap.opRows.filter((r) => r.device === "npu-sim" && r.category === "kernel");
  assert.ok(npuKernels.length > 0, "kernels ran on npu-sim");
  assert.ok(
    npuKernels.some((r) => (r.argTotals.cycles ?? 0) > 0),
    "the NPU's simulated cycles are shown",
  );
  assert.ok(
    npuKernels.some((r) => (r.argTotals.dmaBytes ?? 0) > 0),
    "the NPU's DMA bytes are shown",
  );
  const line = snap.console.find((c) => /int8 on npu-sim: \d+\.\d%/.test(c.text));
  assert.ok(line, `the example reported the int8 accuracy: ${snap.console.map((c) => c.text).join(" | ")}`);
  assert.deepEqual(
    snap.fallback.filter((f) => f.device === "npu-sim").map((f) => f.op),
    [],
    "the eager ops on npu-sim (tanh included) ran on the chip",
  );
  await studio.selectDevice("npu-sim");
  assert.doesNotMatch(await guidance(), /fell back to the CPU/, "no fallback to warn about before the next Run");
  await studio.screenshot("device-guidance-npu");
  await studio.selectDevice("cpu");
  await studio.page.waitForSelector('[data-testid="op-table"]');
  assert.equal(await studio.page.locator('[data-testid="fallback-report"]').count(), 0, "no fallback report when nothing fell back");
  // Every NPU column is on screen at 1280 px: no horizontal scrolling of the table.
  const fit = await studio.page.$eval('[data-testid="op-table"]', (t) => {
    const heads = [...t.querySelectorAll("th")].map((th) => ({ text: th.textContent, right: th.getBoundingClientRect().right }));
    return { heads, wrapScroll: t.parentElement!.scrollWidth - t.parentElement!.clientWidth, viewport: innerWidth };
  });
  for (const label of ["cycles", "DMA", "on-chip peak"]) {
    const h = fit.heads.find((x) => x.text === label);
    assert.ok(h && h.right <= fit.viewport, `the ${label} column is visible: ${JSON.stringify(fit.heads)}`);
  }
  assert.ok(fit.wrapScroll <= 0, `the op table needs no horizontal scroll (${fit.wrapScroll} px over)`);
  assert.doesNotMatch((await studio.page.textContent('[data-testid="op-table"]')) ?? "", /\de[+-]\d/, "no exponent notation in the NPU table");
  await studio.screenshot("profiler-npu-sim");
});

test("the exported ONNX file loads back by drop and gives the same predictions", async (t) => {
  for (const f of ["trace", "onnx", "runtime"]) {
    const r = await feature(f);
    if (!r.ok) return t.skip(`${f} unavailable: ${r.reason}`);
  }
  await studio.selectDevice("cpu");
  await studio.setCode(withConstant(await studio.openExample("fashion-cnn"), "STEPS", 10));
  await studio.run();
  const trained = await studio.finished();
  assert.equal(trained.status, "done", trained.error?.message);
  await studio.tab("model");
  const [download] = await Promise.all([studio.page.waitForEvent("download"), studio.page.click('[data-testid="export-onnx"]')]);
  const bytes = readFileSync(await download.path());
  assert.ok(bytes.length > 1000, "an ONNX file was downloaded");
  // Drop it on the page as a user would.
  await studio.page.evaluate(async (b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], "model.onnx"));
    window.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes.toString("base64"));
  await studio.page.click('button:has-text("Load and run")');
  await studio.page.waitForSelector('[data-testid="model-file-result"]', { timeout: 60_000 });
  const text = (await studio.page.textContent('[data-testid="model-file-result"]')) ?? "";
  assert.match(text, /agrees on 16\/16 predictions/, text);
  const diff = Number(/max \|Δ\| = ([\d.e+-]+)/.exec(text)?.[1]);
  assert.ok(diff <= 1e-4, `outputs match the trained model within 1e-4 (got ${diff})`);
  await studio.screenshot("model-onnx-roundtrip");
});

test("the CNN example trains on npu-sim: kernels on the chip, nothing falling back, loss finite and falling", async (t) => {
  const npu = await available("npu-sim");
  if (!npu.ok) return t.skip(`npu-sim unavailable: ${npu.reason}`);
  // A small batch: the simulator is slower than the cpu, and this test must not dominate the suite.
  await studio.setCode(withConstant(withConstant(await studio.openExample("fashion-cnn"), "STEPS", 6), "BATCH", 16));
  await studio.selectDevice("npu-sim");
  await studio.tab("profiler");
  await studio.run();
  const snap = await studio.finished(300_000);
  await studio.selectDevice("cpu");
  assert.equal(snap.status, "done", snap.error?.message);
  assert.equal(snap.device, "npu-sim");
  const losses = snap.metrics.map((m) => m.values.loss!);
  assert.equal(losses.length, 6);
  assert.ok(losses.every(Number.isFinite) && losses[0]! > 1.5 && losses[0]! < 3.5, `losses ${losses.join(", ")}`);
  assert.ok(Math.min(...losses.slice(3)) < losses[0]!, `loss moved down: ${losses.map((l) => l.toFixed(3)).join(" ")}`);
  const onChip = snap.opRows.filter((r) => r.device === "npu-sim" && r.category === "kernel").map((r) => r.name);
  // conv2d is a composite: npu-sim runs it through its decomposition, so its matmuls show.
  assert.ok(onChip.includes("matmul") && onChip.includes("maxPool2d"), `the layers ran on npu-sim: ${onChip.join(", ")}`);
  const fellBack = snap.opRows.filter((r) => r.category === "fallback").map((r) => r.name);
  assert.deepEqual(fellBack, [], "no op fell back to the cpu");
});
