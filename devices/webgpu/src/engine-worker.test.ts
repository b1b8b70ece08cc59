/**
 * The engine with this device in a browser Worker: `testing/engine-browser/worker.js` imports
 * @polychip/engine, is bundled by esbuild for the browser (the bundle must hold nothing Node-only),
 * and trains a small MLP in a dedicated Worker in headless Chromium on its SwiftShader WebGPU
 * adapter, on webgpu and on cpu from the same weights.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
// This package cannot depend on the engine (the engine depends on it), so the bundle config alone says where it is.
const ENGINE_ENTRY = fileURLToPath(new URL("../../../engine/src/index.ts", import.meta.url));
const WORKER = fileURLToPath(new URL("./testing/engine-browser/worker.js", import.meta.url));
const PAGE = `<!doctype html><script type="module">
const worker = new Worker("./worker.js", { type: "module" });
worker.onmessage = (m) => { globalThis.__result = m.data; document.title = "done"; };
worker.onerror = (e) => { globalThis.__result = { error: "worker failed to start: " + e.message }; document.title = "done"; };
</script>`;

interface Run {
  losses: number[];
  predicted: number[];
  device: string;
}

interface WorkerResult {
  error?: string;
  inWorker: boolean;
  adapter: string;
  parameterDevices: string[];
  cpu: Run;
  webgpu: Run;
}

test("a small model trains through the engine on webgpu inside a Web Worker in Chromium", {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`,
}, async () => {
  const { build } = await import("esbuild");
  const { chromium } = await import("playwright-core");
  const out = mkdtempSync(join(tmpdir(), "polychip-engine-worker-"));
  const result = await build({
    entryPoints: { worker: WORKER },
    bundle: true,
    format: "esm",
    platform: "browser",
    outdir: out,
    metafile: true,
    logLevel: "silent",
    plugins: [{ name: "polychip-engine", setup: (b) => void b.onResolve({ filter: /^@polychip\/engine$/ }, () => ({ path: ENGINE_ENTRY })) }],
  });
  assert.deepEqual(result.warnings, [], "the engine bundles for the browser without warnings");
  const bundled = Object.keys(result.metafile.inputs);
  assert.ok(
    bundled.some((f) => f.includes("engine/src/")),
    "the engine is in the bundle",
  );
  const nodeOnly = bundled.filter((f) => f.startsWith("node:") || f.includes("node_modules/webgpu") || f.includes("node-gpu"));
  assert.deepEqual(nodeOnly, [], "nothing Node-only in the browser bundle");

  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === "/") return void res.setHeader("content-type", "text/html").end(PAGE);
    const file = join(out, url);
    if (!url.endsWith(".js") || !existsSync(file)) return void ((res.statusCode = 404), res.end());
    res.setHeader("content-type", "text/javascript").end(readFileSync(file));
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => document.title === "done", null, { timeout: 120_000 });
    const r = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as WorkerResult;
    assert.equal(r.error, undefined, r.error);
    console.log(`in a Worker on ${r.adapter}: webgpu losses ${r.webgpu.losses.map((l) => l.toFixed(6)).join(", ")}`);
    assert.equal(r.inWorker, true);
    assert.deepEqual(r.parameterDevices, ["webgpu"]);
    assert.equal(r.webgpu.device, "webgpu");
    assert.equal(r.cpu.device, "cpu");
    assert.equal(r.webgpu.losses.length, 5);
    r.webgpu.losses.forEach((l, i) => {
      const c = r.cpu.losses[i]!;
      assert.ok(Math.abs(l - c) <= 1e-5 * Math.abs(c), `step ${i + 1}: webgpu loss ${l}, cpu loss ${c}`);
    });
    assert.ok(r.webgpu.losses[4]! < r.webgpu.losses[0]!, `the loss fell: ${r.webgpu.losses.join(", ")}`);
    assert.deepEqual(r.webgpu.predicted, r.cpu.predicted);
  } finally {
    await browser.close();
    server.close();
    rmSync(out, { recursive: true, force: true });
  }
});
