import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { packAll, sh } from "./testing/packing.ts";

/** What a plain Vite app needs from us: the engine, the cpu device, and their own dependencies. */
const PACKAGES = ["hal", "devices/cpu", "packages/plugin-sdk", "engine"];

const APP_FILES: Record<string, string> = {
  "package.json": JSON.stringify({ name: "plain-vite-app", private: true, type: "module" }, null, 2),
  "index.html": `<!doctype html><html><body><pre id="out"></pre><script type="module" src="/src/main.js"></script></body></html>`,
  "src/main.js": `import { tensor } from "@polychip/engine";
import { cpuPlugin } from "@polychip/device-cpu";

const product = tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]]));
product.data().then((values) => {
  document.getElementById("out").textContent = cpuPlugin.name + ": " + Array.from(values).join(",");
});
`,
};

test("a plain Vite app outside the workspace installs the packed engine and cpu device offline and builds", { timeout: 600_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), "polychip-vite-app-"));
  try {
    const packed = await packAll(join(work, "tarballs"), PACKAGES, [["vite", "studio"]]);
    const app = join(work, "app");
    for (const [file, text] of Object.entries(APP_FILES)) {
      mkdirSync(join(app, file, ".."), { recursive: true });
      writeFileSync(join(app, file), text);
    }
    await sh("npm", ["install", "--offline", "--no-audit", "--no-fund", ...packed], app, 300_000);
    const installed = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.ok(installed.dependencies["@polychip/engine"]?.startsWith("file:"), "the engine came from its tarball");

    const output = await sh(process.execPath, [join(app, "node_modules/vite/bin/vite.js"), "build"], app, 300_000);
    assert.match(output, /built in/);
    const assets = readdirSync(join(app, "dist/assets")).filter((f) => f.endsWith(".js"));
    assert.ok(assets.length > 0, "vite wrote a JavaScript bundle");
    const bundle = assets.map((f) => readFileSync(join(app, "dist/assets", f), "utf8")).join("\n");
    // Vite fails the build on an import it cannot resolve; the engine and the cpu device are bundled in.
    assert.match(bundle, /autograd is not loaded/, "the engine is in the bundle");
    assert.match(bundle, /WebAssembly\.Memory/, "the cpu device's WASM kernels are in the bundle");
    assert.ok(existsSync(join(app, "dist/index.html")));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
