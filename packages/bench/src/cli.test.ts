import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { CpuBenchReport } from "./cpu-bench.ts";
import { runEpochInChild } from "./run-pass.ts";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));

test("the command prints the tables and goals and writes every figure with --json", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "bench-cli-")), "r.json");
  const { stdout } = await promisify(execFile)(process.execPath, [
    "--import",
    "tsx",
    CLI,
    "--quick",
    "--only",
    "matmul-128",
    "--peers",
    "ort-node",
    "--threads",
    "1",
    "--json",
    out,
  ]);
  assert.match(stdout, /Polychip's speed against each peer/);
  assert.match(stdout, /goals \(issue 6\)/);
  const report = JSON.parse(readFileSync(out, "utf8")) as CpuBenchReport;
  assert.equal(report.passes[0]!.threads, 1);
  assert.deepEqual(Object.keys(report.passes[0]!.cases[0]!.entries).sort(), ["ort-node", "polychip"]);
  assert.ok(report.goals.length > 0);
});

test("the epoch run stops after --epoch-steps and projects the whole epoch", async () => {
  const epoch = await runEpochInChild(1, 2, () => {}, true);
  assert.equal(epoch.stepsRun, 2);
  assert.equal(epoch.projected, true);
  assert.ok(Math.abs(epoch.epochSeconds - (epoch.seconds * epoch.stepsPerEpoch) / 2) < 1e-9);
});
