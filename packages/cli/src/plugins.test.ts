import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { removeDevice } from "@polychip/engine";
import { deviceFromArgs } from "./plugins.ts";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = join(repo, "packages/cli/bin/polychip.mjs");

test("--plugin loads a plugin folder resolved from the working directory; --device then names its device", async () => {
  assert.equal(await deviceFromArgs("template", ["./plugins/template"], repo), "template");
  await removeDevice("template");
});

test("--device may itself be a package or path: the device is known by the plugin's declared name", async () => {
  assert.equal(await deviceFromArgs("@polychip/plugin-template", [], repo), "template");
  await removeDevice("template");
  assert.equal(await deviceFromArgs(join(repo, "plugins/template/src/index.ts"), [], "/"), "template");
  await removeDevice("template");
});

test("an unknown device lists the available ones and how to load a plugin", async () => {
  await assert.rejects(
    deviceFromArgs("acme-npu", [], repo),
    /unknown device 'acme-npu'; available: cpu, .*webgpu, npu-sim, npu-sim-edge\. Load a plugin's device with --plugin <package\|path> --device <its name>/,
  );
});

test("polychip train --plugin <folder> --device <name> trains there from another working directory, and eval runs the checkpoint's export", async () => {
  const dir = mkdtempSync(join(tmpdir(), "polychip-plugin-cli-"));
  try {
    const out = join(dir, "mlp.pcck");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, "train", "--plugin", join(repo, "plugins/template"), "--device", "template", "--subset", "--max-steps", "3", "--out", out, "--json"],
      { cwd: dir },
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { device: string; checkpoint: string };
    assert.equal(result.device, "template");
    assert.ok(readFileSync(out).byteLength > 100_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
