import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { quickstartCommand } from "./quickstart.ts";

test("quickstart: the model deployed from its .pcm file in the lean runtime scores exactly the trained accuracy on cpu", async () => {
  const dir = await mkdtemp(join(tmpdir(), "polychip-quickstart-"));
  try {
    const result = await quickstartCommand({ model: "mlp", epochs: 1, subset: true, maxSteps: 20, outDir: dir, quiet: true });
    assert.equal(result.data, "embedded");
    assert.ok(result.testAccuracy > 0.3, `trained accuracy ${result.testAccuracy}`);
    assert.equal(result.deployedAccuracy, result.testAccuracy);
    assert.ok(result.modelBytes > 400_000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
