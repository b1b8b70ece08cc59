#!/usr/bin/env node
// Makes a fresh machine (Node 20 + npm) ready: Debian packages the project uses, pnpm at the
// pinned version, and the workspace's dependencies. Safe to run again: it skips what is done.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const PNPM = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split("@")[1];
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", TURBO_TELEMETRY_DISABLED: "1" };

function step(label, cmd, args, options = {}) {
  process.stderr.write(`bootstrap: ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env, ...options });
  if (r.status !== 0) {
    process.stderr.write(`bootstrap: '${cmd} ${args.join(" ")}' failed (exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
}

function pnpmVersion() {
  try {
    return execFileSync("pnpm", ["--version"], { encoding: "utf8", env }).trim();
  } catch {
    return undefined;
  }
}

if (process.platform === "linux") step("system packages (scripts/setup-system.sh)", "bash", [join(root, "scripts/setup-system.sh")]);

if (pnpmVersion() !== PNPM) {
  // Corepack's pnpm fails its signature check on these machines: install the pinned release from npm.
  const prefix = process.getuid?.() === 0 ? [] : ["--prefix", join(root, ".polychip/tools")];
  step(`pnpm ${PNPM}`, "npm", ["install", "-g", ...prefix, `pnpm@${PNPM}`, "--no-fund", "--no-audit", "--loglevel=error"]);
  if (prefix.length) env.PATH = `${join(root, ".polychip/tools/bin")}:${env.PATH}`;
}

const stamp = join(root, "node_modules/.modules.yaml");
if (!existsSync(stamp) || process.argv.includes("--force")) {
  step("workspace dependencies (pnpm install)", "pnpm", ["install", "--frozen-lockfile", "--reporter=append-only"]);
}
