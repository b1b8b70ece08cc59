/**
 * One thread count's pass in its own process: onnxruntime-web fixes its WASM thread pool when it
 * starts, and Polychip's cpu device its worker pool when it is created, so each thread count gets a
 * fresh process in which every runner takes turns. Spec (JSON) in argv[2], result written to argv[3].
 */
import { writeFileSync } from "node:fs";
import { runPass, type PassSpec } from "./pass.ts";
import { createRunner } from "./runners/index.ts";

async function main(): Promise<void> {
  const [specJson, outPath] = process.argv.slice(2);
  if (!specJson || !outPath) throw new Error("usage: pass-main.ts <spec-json> <out-file>");
  const spec = JSON.parse(specJson) as PassSpec;
  const result = await runPass({
    threads: spec.threads,
    cases: spec.cases,
    runners: spec.runners.map(createRunner),
    sampling: spec.sampling,
    skip: spec.skip,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  writeFileSync(outPath, JSON.stringify(result));
  // Peer runtimes (onnxruntime's thread pools) may keep the event loop alive; the result is written.
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`pass failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
