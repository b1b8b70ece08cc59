import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { assembleChunks } from "./chunks.ts";

/** A manifest beside its chunk files, as a package ships them. */
function chunkedPackage(entry: unknown, chunks: Record<string, number[]>): { manifest: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "polychip-chunks-"));
  for (const [hash, bytes] of Object.entries(chunks)) writeFileSync(join(dir, hash), Uint8Array.from(bytes));
  const manifest = join(dir, "resources.json");
  writeFileSync(manifest, JSON.stringify({ "/models/m": entry }));
  return { manifest, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test("a chunked model is its chunks joined in the manifest's order", () => {
  const pkg = chunkedPackage(
    {
      chunks: [
        { hash: "bb", offsets: [0, 3] },
        { hash: "aa", offsets: [3, 5] },
      ],
      size: 5,
    },
    { aa: [4, 5], bb: [1, 2, 3] },
  );
  try {
    assert.deepEqual([...assembleChunks(pkg.manifest, "/models/m")], [1, 2, 3, 4, 5]);
  } finally {
    pkg.done();
  }
});

test("a chunk whose length differs from its listed range is refused, naming it", () => {
  const pkg = chunkedPackage(
    {
      chunks: [
        { hash: "aa", offsets: [0, 2] },
        { hash: "bb", offsets: [2, 6] },
      ],
    },
    { aa: [1, 2], bb: [3, 4, 5] },
  );
  try {
    assert.throws(() => assembleChunks(pkg.manifest, "/models/m"), /chunk bb has 3 bytes, the manifest says 4/);
  } finally {
    pkg.done();
  }
});

test("a gap between chunks and an unknown key are refused", () => {
  const pkg = chunkedPackage(
    {
      chunks: [
        { hash: "aa", offsets: [0, 2] },
        { hash: "bb", offsets: [3, 5] },
      ],
    },
    { aa: [1, 2], bb: [3, 4] },
  );
  try {
    assert.throws(() => assembleChunks(pkg.manifest, "/models/m"), /chunk bb starts at byte 3, expected 2/);
    assert.throws(() => assembleChunks(pkg.manifest, "/models/other"), /no chunked entry '\/models\/other' \(entries: \/models\/m\)/);
  } finally {
    pkg.done();
  }
});
