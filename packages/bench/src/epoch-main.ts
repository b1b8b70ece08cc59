/** `--epoch` in its own process (a fresh cpu device at the requested thread count). argv: threads, maxSteps|"", "subset"|"", out-file. */
import { writeFileSync } from "node:fs";
import { runEpoch } from "./epoch.ts";

const [threads, maxSteps, subset, out] = process.argv.slice(2);
runEpoch(Number(threads), maxSteps ? Number(maxSteps) : undefined, (line) => process.stderr.write(`${line}\n`), subset === "subset")
  .then((result) => {
    writeFileSync(out!, JSON.stringify(result));
    process.exit(0);
  })
  .catch((err) => {
    process.stderr.write(`epoch failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
