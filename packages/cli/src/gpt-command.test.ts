import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "./testing/cli-process.ts";

test("polychip train --model gpt --text learns a text file, prints samples and saves a checkpoint", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gpt-cli-"));
  try {
    const text = join(dir, "notes.txt");
    writeFileSync(text, "the cat sat on the mat. ".repeat(40));
    const out = join(dir, "gpt.pcck");
    const run = await runCli(["train", "--model", "gpt", "--text", text, "--max-steps", "20", "--out", out, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split("\n").pop()!) as { firstLoss: number; lastLoss: number; samples: string[]; checkpoint: string };
    assert.ok(result.lastLoss < result.firstLoss, `loss ${result.firstLoss} -> ${result.lastLoss} did not fall`);
    assert.equal(result.samples.length, 2);
    assert.ok(existsSync(out));
  } finally {
    rmSync(dir, { recursive: true });
  }
});
