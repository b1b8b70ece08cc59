#!/usr/bin/env node
// Runs the architecture check, Biome's formatting check and every package's tests through turbo (one package at a time: the machines have 2 cores),
// then prints one closing line that adds them up: "N passed, N failed[, N skipped]".
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", FORCE_COLOR: "0", NO_COLOR: "1" };
const turbo = join(root, "node_modules/.bin/turbo");
const args = ["run", "test", "--concurrency=1", "--continue", "--output-logs=full", "--log-order=grouped", ...process.argv.slice(2)];

const totals = { passed: 0, failed: 0, skipped: 0 };
const started = Date.now();

function scan(line) {
  // node:test closing lines ("# pass 12", "# fail 0", "# skipped 1") and vitest's ("Tests  3 passed | 1 failed (4)").
  const tap = /#\s+(pass|fail|skipped)\s+(\d+)\s*$/.exec(line);
  if (tap) totals[{ pass: "passed", fail: "failed", skipped: "skipped" }[tap[1]]] += Number(tap[2]);
  const vitest = /^\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line.replace(/^.*?:\s*(?=Tests)/, ""));
  if (vitest) {
    for (const m of vitest[1].matchAll(/(\d+)\s+(passed|failed|skipped)/g)) totals[m[2]] += Number(m[1]);
  }
}

/** Pipes a child's output through, counting its closing lines; resolves with its exit code. */
function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [child.stdout, child.stderr]) {
    let buf = "";
    stream.on("data", (chunk) => {
      const text = chunk.toString();
      (stream === child.stdout ? process.stdout : process.stderr).write(text);
      buf += text;
      const lines = buf.split("\n");
      buf = lines.pop();
      lines.forEach(scan);
    });
    stream.on("end", () => buf && scan(buf));
  }
  return new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1)));
}

// The repository-wide checks first (layering, formatting), then every package's tests.
const biome = join(root, "node_modules/.bin/biome");
const codes = [await run(process.execPath, ["--test", join(root, "scripts/architecture/check.test.mjs")]), await formatCheck(), await run(turbo, args)];
const minutes = ((Date.now() - started) / 60000).toFixed(1);
process.stdout.write(`\nall packages (${minutes} min):\n`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ""}\n`);
const failed = codes.some((c) => c !== 0) || totals.failed > 0 || totals.passed === 0;
process.exit(failed ? 1 : 0);

/** Biome's check that every source file is formatted as `npm run format` would leave it (exit 1 naming the files otherwise). */
async function formatCheck() {
  const code = await run(biome, ["format", "."]);
  process.stdout.write(code === 0 ? "formatting: every file as Biome formats it\n" : "formatting: files above are not formatted: run `npm run format`\n");
  return code;
}
