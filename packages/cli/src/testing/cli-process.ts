import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The `polychip` executable, for tests that run the CLI as a user would. */
export const CLI_BIN = fileURLToPath(new URL("../../bin/polychip.mjs", import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs `polychip <args>` in a child process and collects its exit status and output. */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; killAfterMs?: number; preload?: string } = {},
): Promise<CliRun> {
  const started = performance.now();
  // A TypeScript preload needs tsx's loader in place first.
  const preload = options.preload ? ["--import", import.meta.resolve("tsx"), "--import", options.preload] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...preload, CLI_BIN, ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = options.killAfterMs ? setTimeout(() => child.kill("SIGKILL"), options.killAfterMs) : undefined;
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}
