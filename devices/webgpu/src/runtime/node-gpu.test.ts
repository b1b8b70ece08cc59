import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

test("opening Dawn on a headless machine prints no XDG_RUNTIME_DIR warning", () => {
  const env = { ...process.env };
  delete env.XDG_RUNTIME_DIR;
  const code = `import { WebGpuDevice } from "${new URL("../device.ts", import.meta.url).pathname}"; const d = await WebGpuDevice.create(); console.log("adapter", d.info.vendor); d.dispose(); process.exit(0);`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { env, encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /adapter/);
  assert.doesNotMatch(run.stderr, /XDG_RUNTIME_DIR/);
});
