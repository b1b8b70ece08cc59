/**
 * The package in Chromium: bundled with esbuild (which must leave Dawn out), run on the page's main
 * thread and in a dedicated Worker against Chromium's SwiftShader WebGPU adapter.
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

test("kernels run in Chromium on the main thread and in a dedicated Worker", {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`,
}, async () => {
  const { build } = await import("esbuild");
  const { chromium } = await import("playwright-core");
  const out = mkdtempSync(join(tmpdir(), "polychip-webgpu-"));
  const browserDir = fileURLToPath(new URL("./testing/browser/", import.meta.url));
  const result = await build({
    entryPoints: { page: join(browserDir, "page.ts"), worker: join(browserDir, "worker.ts") },
    bundle: true,
    format: "esm",
    outdir: out,
    metafile: true,
    logLevel: "silent",
  });
  const bundled = Object.keys(result.metafile.inputs);
  assert.ok(!bundled.some((f) => f.includes("node_modules/webgpu") || f.includes("node-gpu")), "the browser bundle must not contain the Dawn loader");

  const pages: Record<string, string> = { "/": '<!doctype html><script type="module" src="page.js"></script>' };
  const server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (pages[url]) return void res.setHeader("content-type", "text/html").end(pages[url]);
    const file = join(out, url);
    if (!url.endsWith(".js") || !existsSync(file)) return void ((res.statusCode = 404), res.end());
    res.setHeader("content-type", "text/javascript").end(readFileSync(file));
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => document.title === "done", null, { timeout: 60_000 });
    const got = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as Record<string, unknown>;
    const e1 = Math.exp(1);
    for (const where of ["main", "worker"]) {
      const r = got[where] as { available: boolean; matmul: number[]; softmax: number[] };
      assert.equal(typeof r, "object", `${where}: ${String(r)}`);
      assert.equal(r.available, true);
      assert.deepEqual(r.matmul, [4, 5, 10, 11]);
      r.softmax.forEach((v, i) => assert.ok(Math.abs(v - (i % 2 ? e1 / (1 + e1) : 1 / (1 + e1))) < 1e-6, `${where} softmax[${i}] = ${v}`));
    }
  } finally {
    await browser.close();
    server.close();
    rmSync(out, { recursive: true, force: true });
  }
});
