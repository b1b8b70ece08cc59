import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EpochResult } from "./epoch.ts";
import type { PassResult, PassSpec } from "./pass.ts";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Runs a TypeScript entry under tsx in a child process, relaying its stderr lines; it writes its result as JSON to the file named last. */
async function runChild<T>(entry: string, args: readonly string[], what: string, onLine: (line: string) => void): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "polychip-bench-"));
  const out = join(dir, "result.json");
  try {
    const child = spawn(process.execPath, ["--import", "tsx", here(entry), ...args, out], { stdio: ["ignore", "inherit", "pipe"] });
    let buffer = "";
    let tail = "";
    child.stderr.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        onLine(line);
        tail = `${tail}\n${line}`.slice(-2000);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (buffer) onLine(buffer);
    if (code !== 0) throw new Error(`${what} exited with code ${code}:${tail}`);
    return JSON.parse(readFileSync(out, "utf8")) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const printLine = (line: string): void => void process.stderr.write(`${line}\n`);

export function runPassInChild(spec: PassSpec, onLine: (line: string) => void = printLine): Promise<PassResult> {
  return runChild<PassResult>("./pass-main.ts", [JSON.stringify(spec)], `the ${spec.threads}-thread pass`, onLine);
}

export function runEpochInChild(
  threads: number,
  maxSteps: number | undefined,
  onLine: (line: string) => void = printLine,
  subset = false,
): Promise<EpochResult> {
  return runChild<EpochResult>(
    "./epoch-main.ts",
    [String(threads), maxSteps === undefined ? "" : String(maxSteps), subset ? "subset" : ""],
    "the epoch run",
    onLine,
  );
}

/** A single-threaded peer's run slower than this is not repeated in later passes: its figure cannot change with the thread count. */
export const REUSE_SLOWER_THAN_MS = 1000;

/**
 * What later passes may reuse from the first: for each peer that can only use one thread here,
 * the cases where one run took over a second (tfjs-cpu's 40-second CNN step). Faster ones are
 * measured again, interleaved with the others, so every ratio compares figures taken side by side.
 */
export function reusableFigures(first: PassResult): Record<string, string[]> {
  const reuse: Record<string, string[]> = {};
  for (const runner of first.runners.filter((r) => r.singleThreadOnly)) {
    const slow = first.cases.filter((c) => {
      const e = c.entries[runner.id];
      return e !== undefined && (e.status !== "ok" || e.summary.median > REUSE_SLOWER_THAN_MS);
    });
    if (slow.length) reuse[runner.id] = slow.map((c) => c.id);
  }
  return reuse;
}

/** Fills a later pass with the first pass's figures it skipped, marked as reused. */
export function withReusedEntries(pass: PassResult, from: PassResult, reuse: Readonly<Record<string, readonly string[]>>): PassResult {
  const extraRunners = from.runners.filter((r) => reuse[r.id] && !pass.runners.some((p) => p.id === r.id));
  return {
    ...pass,
    runners: [...pass.runners, ...extraRunners],
    cases: pass.cases.map((c) => {
      const source = from.cases.find((x) => x.id === c.id);
      const entries = { ...c.entries };
      for (const [id, caseIds] of Object.entries(reuse)) {
        const e = source?.entries[id];
        if (e && caseIds.includes(c.id)) entries[id] = e.status === "ok" ? { ...e, reusedFromThreads: from.threads } : e;
      }
      return { ...c, entries };
    }),
  };
}
