import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { DeviceError } from "@polychip/hal";
import { loadPlugin, resolvePlugin } from "./load-plugin.ts";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, "../kit/fixtures");

test("a module file's default export is the plugin", async () => {
  const plugin = await loadPlugin("./host-plugin.ts", fixtures);
  assert.equal(plugin.name, "wrong-add");
});

test("a package directory is loaded through its package.json exports, finding a named export", async () => {
  const plugin = await loadPlugin(join(fixtures, "dir-plugin"));
  assert.equal(plugin.name, "sub-only");
});

test("an installed package is loaded by name", async () => {
  const plugin = await loadPlugin("@polychip/device-cpu", here);
  assert.equal(plugin.name, "cpu");
});

test("a package of the enclosing workspace is found by name even when not installed", () => {
  assert.match(resolvePlugin("@polychip/npu-sim", here), /plugins\/npu-sim\/src\/index\.ts$/);
});

test("a missing package is a clear DeviceError", async () => {
  await assert.rejects(
    loadPlugin("@acme/no-such-plugin", here),
    (err: unknown) => err instanceof DeviceError && /cannot find plugin package '@acme\/no-such-plugin'/.test((err as Error).message),
  );
});

test("a missing path is a clear DeviceError", async () => {
  await assert.rejects(
    loadPlugin("./nowhere/plugin.ts", fixtures),
    (err: unknown) => err instanceof DeviceError && /plugin path '.\/nowhere\/plugin.ts' does not exist/.test((err as Error).message),
  );
});

test("a module without a HAL entry point is refused, listing what it exports", async () => {
  await assert.rejects(
    loadPlugin("./no-entry.ts", fixtures),
    (err: unknown) =>
      err instanceof DeviceError &&
      /has no HAL entry point: expected a default or named export implementing DevicePlugin.*it exports create, name/.test((err as Error).message),
  );
});
