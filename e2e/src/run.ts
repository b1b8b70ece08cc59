/**
 * The e2e suite's entry (`pnpm --filter @polychip/e2e test`): builds the studio once, then runs
 * every test file with node's test runner, one at a time (each opens its own Chromium). Exits 0
 * with a skip message when Debian's Chromium is not installed (scripts/setup-system.sh installs it).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildStudio } from "@polychip/studio";
import { CHROMIUM_PATH, chromiumAvailable } from "./browser.ts";

const here = dirname(fileURLToPath(import.meta.url));

if (!chromiumAvailable()) {
  process.stdout.write(`e2e: SKIPPED — ${CHROMIUM_PATH} is missing (install Debian's chromium: bash scripts/setup-system.sh as root)\n`);
  process.exit(0);
}

const started = Date.now();
await buildStudio({ quiet: true });
process.stdout.write(`e2e: studio built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

const only = process.argv.slice(2).filter((a) => a !== "--");
const files = readdirSync(join(here, "tests"))
  .filter((f) => f.endsWith(".test.ts") && (only.length === 0 || only.some((o) => f.includes(o))))
  .map((f) => join(here, "tests", f));
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...files], {
  stdio: "inherit",
  env: { ...process.env, POLYCHIP_E2E_BUILT: "1" },
});
process.stdout.write(`e2e: ${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
process.exit(result.status ?? 1);
