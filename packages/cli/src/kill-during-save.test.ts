import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { loadCheckpoint, saveCheckpoint, tensor } from "@polychip/engine";
import { randomUnit } from "@polychip/hal";
import { writeFileAtomic } from "./files.ts";
import { inTempDir } from "./testing/temp-dir.ts";

/** A handful in every run; LONG=1 for the full campaign. */
const TRIALS = process.env.LONG === "1" ? 120 : 5;
const SEED = Number(process.env.POLYCHIP_FUZZ_SEED ?? 15);
const SAVE_LOOP = fileURLToPath(new URL("./testing/save-loop.ts", import.meta.url));

/** A checkpoint of a few MB, so a kill often lands mid-write; `version` is in its metadata and its values. */
async function checkpoint(version: number): Promise<Uint8Array> {
  const values = new Float32Array(1 << 20).fill(version);
  return saveCheckpoint(new Map([["w", tensor(values)]]), { version });
}

/** Starts the save loop and SIGKILLs it `delayMs` after it began saving. */
function killWhileSaving(target: string, a: string, b: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), SAVE_LOOP, target, a, b], { stdio: ["ignore", "pipe", "inherit"] });
    child.stdout.once("data", () => setTimeout(() => child.kill("SIGKILL"), delayMs));
    child.on("error", reject);
    child.on("close", (_code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`save loop ended without being killed (${signal})`))));
  });
}

test(`kill -9 at ${TRIALS} random points during saves: the checkpoint always loads, and the next save leaves no temp file`, { timeout: 600_000 }, async () => {
  await inTempDir(async (dir) => {
    const [a, b, c] = [join(dir, "a.bin"), join(dir, "b.bin"), join(dir, "run.pcck")];
    await writeFile(a, await checkpoint(1));
    await writeFile(b, await checkpoint(2));
    await writeFileAtomic(c, await checkpoint(0), "checkpoint");
    const afterKill = new Map<number, number>();
    let killedMidWrite = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      await killWhileSaving(c, a, b, Math.floor(randomUnit(SEED, trial) * 120));
      if (readdirSync(dir).some((n) => n.endsWith(".tmp"))) killedMidWrite++;
      const { meta, state } = loadCheckpoint(readFileSync(c)); // a pool-backed Buffer, as users read files
      const version = meta.version as number;
      assert.ok([0, 1, 2].includes(version), `trial ${trial}: version ${version}`);
      const w = await state.get("w")!.data();
      assert.ok(w[0] === version && w[w.length - 1] === version, `trial ${trial}: the weights belong to version ${version}`);
      state.get("w")!.dispose();
      afterKill.set(version, (afterKill.get(version) ?? 0) + 1);
      await writeFileAtomic(c, await checkpoint(0), "checkpoint");
      assert.deepEqual(
        readdirSync(dir).filter((n) => n.endsWith(".tmp")),
        [],
        `trial ${trial}: no temp file survives the next save`,
      );
    }
    console.log(
      `kill-during-save: ${TRIALS} trials, ${killedMidWrite} killed mid-write (a temp file left), checkpoint versions found after the kill: ${[...afterKill].map(([v, n]) => `v${v}×${n}`).join(", ")}`,
    );
  });
});
