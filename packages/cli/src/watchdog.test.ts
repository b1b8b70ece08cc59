import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const WATCHDOG = fileURLToPath(new URL("./watchdog.ts", import.meta.url));

/** Runs a module-type script with the watchdog started at `stallMs`; resolves to its exit. */
function withWatchdog(stallMs: number, body: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const script = `import { startWatchdog } from ${JSON.stringify(WATCHDOG)}; import { tensor } from "@polychip/engine"; await startWatchdog(${stallMs}); ${body}`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), "--input-type=module", "-e", script], {
      stdio: ["ignore", "ignore", "pipe"],
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
}

test("the watchdog leaves alone a long run that never yields to timers but keeps launching kernels", async () => {
  // 1.5 s of awaits that resolve at once (no macrotask turn, so no timer tick) with a kernel in each.
  const run = await withWatchdog(
    300,
    `const end = Date.now() + 1500; let t = tensor([1, 2]); while (Date.now() < end) { const n = t.add(1); t.dispose(); t = n; await n.data(); } process.exit(0);`,
  );
  assert.equal(run.code, 0, run.stderr);
});

test("the watchdog stops a process stuck in synchronous code, saying so", async () => {
  const run = await withWatchdog(300, `const end = Date.now() + 20_000; while (Date.now() < end);`);
  assert.equal(run.signal, "SIGKILL");
  assert.match(run.stderr, /DeviceTimeoutError: the main thread has been blocked for \d+ ms with no kernel running/);
});
