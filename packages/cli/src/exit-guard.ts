import { PolychipError } from "@polychip/hal";

/** One line for an error that ends the command (the stack only with POLYCHIP_DEBUG). */
export function reportError(err: unknown): void {
  if (err instanceof PolychipError || (err as Error)?.name?.endsWith("Error")) {
    process.stderr.write(`polychip: ${(err as Error).name}: ${(err as Error).message}\n`);
    if (process.env.POLYCHIP_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
  } else process.stderr.write(`polychip: ${String(err)}\n`);
}

/**
 * Runs a command to its exit code. If Node's event loop runs dry while the command's promise is
 * still pending (work waiting on something that will never happen, like a device read that never
 * settles), the process would otherwise exit 0 as if it had succeeded: here it exits 1 and says so.
 */
export function runToExit(command: () => Promise<number>): void {
  let settled = false;
  process.on("beforeExit", () => {
    if (settled) return;
    process.stderr.write(
      "polychip: the command did not finish: nothing was left to run while its work was still pending (a device operation or promise that never settled)\n",
    );
    process.exit(1);
  });
  command().then(
    (code) => {
      settled = true;
      process.exit(code);
    },
    (err) => {
      settled = true;
      reportError(err);
      process.exit(1);
    },
  );
}
