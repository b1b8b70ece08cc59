import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Runs `fn` in a fresh temporary folder that is removed afterwards, whatever happens (for tests). */
export async function inTempDir(fn: (dir: string) => Promise<void>, prefix = "polychip-"): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
