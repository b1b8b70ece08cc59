import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { DeviceError } from "@polychip/hal";
import { loadPlugin, removeDevice, tensor } from "./index.ts";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const fixtures = join(repo, "packages/plugin-sdk/src/kit/fixtures");

async function usable(name: string, loaded: Promise<{ info: { name: string } }>): Promise<void> {
  const device = await loaded;
  assert.equal(device.info.name, name, "the device is known by the name its plugin declares");
  assert.deepEqual(
    Array.from(
      await tensor([5, 7], { device: name })
        .sub(tensor([1, 2], { device: name }))
        .data(),
    ),
    [4, 5],
  );
  await removeDevice(name);
}

test("a relative path resolves from the caller's directory, not the engine's file", async () => {
  await usable("sub-only", loadPlugin("./dir-plugin", { from: fixtures }));
});

test("a directory with a package.json, given absolute, loads through its exports", async () => {
  await usable("sub-only", loadPlugin(join(fixtures, "dir-plugin")));
});

test("an absolute entry file loads, and the device takes the plugin's declared name, not the path", async () => {
  await usable("sub-only", loadPlugin(join(fixtures, "dir-plugin/entry.ts")));
});

test("a package name resolves from the caller (here, a package of the workspace)", async () => {
  await usable("template", loadPlugin("@polychip/plugin-template", { from: repo }));
});

test("the working directory is the default: a relative path that exists only beside the engine is not found", async () => {
  await assert.rejects(
    loadPlugin("./tensor.ts", { from: fixtures }),
    (err: unknown) =>
      err instanceof DeviceError &&
      /cannot load device plugin '\.\/tensor\.ts' \(resolved from .*fixtures\): plugin path '\.\/tensor\.ts' does not exist/.test((err as Error).message),
  );
});

test("an unknown device names the available ones and how to load a plugin", () => {
  assert.throws(
    () => tensor([1], { device: "acme-npu" }),
    /unknown device 'acme-npu'; available: cpu.*; loaded on use: (none registered|[a-z, -]+); a plugin's device is known by its name once loaded: loadPlugin\('<package or path>'\), or --plugin <package\|path>/,
  );
});
