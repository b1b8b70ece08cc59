import assert from "node:assert/strict";
import { mkdir, open, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { inTempDir } from "./testing/temp-dir.ts";
import { checkOutputPath, readBytes, writeFileAtomic } from "./files.ts";
import { FormatError } from "@polychip/engine/runtime";
import { exportCommand } from "./commands/export.ts";
import { readInputFile } from "./commands/run.ts";
import { loadModel } from "./model-files.ts";
import { trainCommand } from "./commands/train.ts";

const namesPathWithoutRawCode = (path: string, expected: RegExp) => (e: Error) =>
  e.message.includes(path) && expected.test(e.message) && !/^E[A-Z]+:/.test(e.message) && !e.message.includes("illegal operation");

test("an output path that is a directory is refused, naming the path", async () => {
  await inTempDir(async (dir) => {
    await assert.rejects(checkOutputPath(dir, "checkpoint"), namesPathWithoutRawCode(dir, /is a directory; expected a file path for the checkpoint/));
  });
});

test("an output path whose directory does not exist is refused, naming both", async () => {
  await inTempDir(async (dir) => {
    const out = join(dir, "missing", "model.pcck");
    await assert.rejects(checkOutputPath(out, "checkpoint"), namesPathWithoutRawCode(out, /directory .*missing does not exist/));
  });
});

test("an output path under a file (not a directory) is refused as unwritable", async () => {
  await inTempDir(async (dir) => {
    await writeFile(join(dir, "plain"), "x");
    const out = join(dir, "plain", "model.pcck");
    await assert.rejects(checkOutputPath(out, "checkpoint"), namesPathWithoutRawCode(out, /not a directory/));
  });
});

test("a valid output path passes the check and leaves nothing behind", async () => {
  await inTempDir(async (dir) => {
    await checkOutputPath(join(dir, "model.pcck"), "checkpoint");
    assert.deepEqual(await readdir(dir), []);
  });
});

test("train refuses a bad --out before loading any data or training", async () => {
  await inTempDir(async (dir) => {
    const started = performance.now();
    await assert.rejects(
      trainCommand({
        model: "mlp",
        epochs: 1,
        batch: 64,
        lr: 1e-3,
        device: "cpu",
        data: join(dir, "no-data-here"),
        subset: false,
        out: dir,
        json: true,
        seed: 1,
      }),
      (e: Error) => e.message.includes(dir) && /is a directory/.test(e.message),
    );
    assert.ok(performance.now() - started < 2000);
  });
});

test("reading a directory as a file names the path and what was expected, not a raw EISDIR", async () => {
  await inTempDir(async (dir) => {
    await assert.rejects(readBytes(dir, "checkpoint"), namesPathWithoutRawCode(dir, /is a directory; expected a checkpoint/));
    await assert.rejects(
      readBytes(join(dir, "absent.pcck"), "checkpoint"),
      namesPathWithoutRawCode(join(dir, "absent.pcck"), /does not exist; expected a checkpoint/),
    );
  });
});

test("a failed atomic write removes its temporary file and names the path", async () => {
  await inTempDir(async (dir) => {
    const target = join(dir, "occupied");
    await mkdir(target);
    await writeFile(join(target, "keep"), "x"); // rename over a non-empty directory must fail
    await assert.rejects(writeFileAtomic(target, new Uint8Array([1, 2, 3])), (e: Error) => e.message.includes(target));
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.endsWith(".tmp")),
      [],
    );
  });
});

test("stale temporary files of an interrupted save are swept by the next save", async () => {
  await inTempDir(async (dir) => {
    const target = join(dir, "model.pcck");
    await writeFile(`${target}.0badc0de.tmp`, "half a checkpoint");
    await writeFile(join(dir, "other.pcck.0badc0de.tmp"), "another file's temp stays");
    await writeFileAtomic(target, new Uint8Array([9, 8, 7]));
    assert.deepEqual([...(await readFile(target))], [9, 8, 7]);
    assert.deepEqual((await readdir(dir)).sort(), ["model.pcck", "other.pcck.0badc0de.tmp"]);
  });
});

test("an atomic write fsyncs the file and its directory before returning", async () => {
  await inTempDir(async (dir) => {
    const probe = await open(join(dir, "probe"), "w");
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const original = proto.sync;
    let syncs = 0;
    proto.sync = function (this: unknown) {
      syncs++;
      return original.call(this);
    };
    try {
      await writeFileAtomic(join(dir, "model.pcck"), new Uint8Array(10));
    } finally {
      proto.sync = original;
    }
    assert.ok(syncs >= 2, `expected the file and its directory to be fsynced, saw ${syncs} fsync calls`);
  });
});

test("run's --input names the file and the format it expected when it is a directory", async () => {
  await inTempDir(async (dir) => {
    await assert.rejects(readInputFile(dir), namesPathWithoutRawCode(dir, /is a directory; expected an input file \(JSON/));
  });
});

test("a corrupt checkpoint or model file is a FormatError that names the file", async () => {
  await inTempDir(async (dir) => {
    const bad = join(dir, "corrupt.pcck");
    await writeFile(bad, "PCCK but not really a checkpoint at all");
    await assert.rejects(
      exportCommand({ checkpoint: bad, out: join(dir, "x.pcm"), json: true }),
      (e: Error) => e instanceof FormatError && e.message.startsWith(`${bad}: checkpoint: `),
    );
    const model = join(dir, "truncated.pcm");
    await writeFile(model, "PCMF");
    await assert.rejects(loadModel(model), (e: Error) => e instanceof FormatError && e.message.startsWith(`${model}: model file: `));
  });
});
