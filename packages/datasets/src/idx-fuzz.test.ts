import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { FormatError, randomUnit } from "@polychip/hal";
import { decodeIdxImages, decodeIdxLabels, encodeIdxImages, encodeIdxLabels } from "./idx.ts";
import { gunzipWithZlib } from "./node.ts";

/** Deeper local runs: POLYCHIP_FUZZ_CASES=100000 POLYCHIP_FUZZ_SEED=7. */
const CASES = Number(process.env.POLYCHIP_FUZZ_CASES ?? 1500);
const SEED = Number(process.env.POLYCHIP_FUZZ_SEED ?? 15);

const images = encodeIdxImages({ count: 3, rows: 2, cols: 2, pixels: Uint8Array.from({ length: 12 }, (_, i) => i * 20) });
const labels = encodeIdxLabels({ count: 3, labels: Uint8Array.from([4, 0, 9]) });

/** One damaged file: bit flips, a header dim rewritten, truncation, growth, random bytes, or gzip of any of those. */
function mutate(source: Uint8Array, seed: number): Uint8Array {
  let k = 0;
  const unit = () => randomUnit(seed, k++);
  const int = (n: number) => Math.floor(unit() * n);
  const out = new Uint8Array(source);
  let mutated: Uint8Array;
  switch (int(5)) {
    case 0:
      for (let f = 1 + int(4); f > 0; f--) out[int(out.length)]! ^= 1 << int(8);
      mutated = out;
      break;
    case 1: {
      const dv = new DataView(out.buffer);
      const dims = out.byteLength >= 16 ? 3 : 1;
      dv.setUint32(4 + 4 * int(dims), [0, 1, 2, 255, 65536, 2 ** 31, 2 ** 32 - 1][int(7)]!, false);
      mutated = out;
      break;
    }
    case 2:
      mutated = out.subarray(0, int(out.length));
      break;
    case 3:
      mutated = Uint8Array.from([...out, ...Array.from({ length: 1 + int(8) }, () => int(256))]);
      break;
    default:
      mutated = Uint8Array.from({ length: int(40) }, () => int(256));
  }
  if (unit() < 0.2) {
    const packed = gzipSync(mutated);
    mutated = new Uint8Array(packed.buffer, packed.byteOffset, unit() < 0.5 ? packed.byteLength : int(packed.byteLength));
  }
  return mutated;
}

test(`fuzz: ${CASES} seeded damaged IDX files give a consistent result or a FormatError naming the file`, async () => {
  const outcomes = new Map<string, number>();
  for (let i = 0; i < CASES; i++) {
    const seed = SEED * 1_000_003 + i;
    const asImages = i % 2 === 0;
    const bytes = mutate(asImages ? images : labels, seed);
    const name = `case-${i}.idx`;
    try {
      if (asImages) {
        const r = await decodeIdxImages(bytes, name, gunzipWithZlib);
        assert.equal(r.pixels.byteLength, r.count * r.rows * r.cols, `case ${i}: pixels fit the header`);
      } else {
        const r = await decodeIdxLabels(bytes, name, gunzipWithZlib);
        assert.equal(r.labels.byteLength, r.count, `case ${i}: labels fit the header`);
      }
      outcomes.set("parsed", (outcomes.get("parsed") ?? 0) + 1);
    } catch (err) {
      if (!(err instanceof FormatError)) throw new Error(`case ${i} (seed ${seed}) threw ${(err as Error)?.name}: ${(err as Error)?.message}`);
      assert.ok(err.message.startsWith(`${name}: `), `case ${i}: the error names the file: ${err.message}`);
      outcomes.set("FormatError", (outcomes.get("FormatError") ?? 0) + 1);
    }
  }
  assert.ok((outcomes.get("FormatError") ?? 0) > CASES / 2, `most damage is detected: ${[...outcomes]}`);
});
