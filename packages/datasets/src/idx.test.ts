import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { FormatError } from "@polychip/hal";
import { gunzipWithStream } from "./gunzip-web.ts";
import { decodeIdxImages, decodeIdxLabels, encodeIdxImages, encodeIdxLabels, isGzip, parseIdxImages, parseIdxLabels } from "./idx.ts";
import { gunzipWithZlib } from "./node.ts";

/** gzipSync's Buffer as a plain Uint8Array (@types/node 20.9's Buffer does not type-check as one under TS 5.9). */
function gzip(bytes: Uint8Array): Uint8Array {
  const packed = gzipSync(bytes);
  return new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
}

/** Two 2×3 images with pixels 0..11, and labels 7 and 3. */
const tinyImages = Uint8Array.from([0x00, 0x00, 0x08, 0x03, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
const tinyLabels = Uint8Array.from([0x00, 0x00, 0x08, 0x01, 0, 0, 0, 2, 7, 3]);

test("parseIdxImages reads the header dims and the pixels of a raw buffer", () => {
  const images = parseIdxImages(tinyImages, "tiny-images");
  assert.deepEqual([images.count, images.rows, images.cols], [2, 2, 3]);
  assert.deepEqual([...images.pixels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
});

test("parseIdxLabels reads the labels of a raw buffer", () => {
  const labels = parseIdxLabels(tinyLabels, "tiny-labels");
  assert.equal(labels.count, 2);
  assert.deepEqual([...labels.labels], [7, 3]);
});

test("encodeIdxImages and encodeIdxLabels write what the parsers read", () => {
  assert.deepEqual(encodeIdxImages(parseIdxImages(tinyImages, "a")), tinyImages);
  assert.deepEqual(encodeIdxLabels(parseIdxLabels(tinyLabels, "b")), tinyLabels);
});

test("isGzip recognises the 1f 8b magic and nothing else", () => {
  assert.equal(isGzip(gzip(tinyImages)), true);
  assert.equal(isGzip(tinyImages), false);
  assert.equal(isGzip(Uint8Array.from([0x1f])), false);
});

test("decodeIdxImages gunzips with zlib and reads the same data as raw", async () => {
  const images = await decodeIdxImages(gzip(tinyImages), "tiny.gz", gunzipWithZlib);
  assert.deepEqual([...images.pixels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
});

test("decodeIdxLabels gunzips with DecompressionStream (the browser path)", async () => {
  const labels = await decodeIdxLabels(gzip(tinyLabels), "tiny.gz", gunzipWithStream);
  assert.deepEqual([...labels.labels], [7, 3]);
});

test("decodeIdxLabels passes raw bytes through without calling gunzip", async () => {
  const labels = await decodeIdxLabels(tinyLabels, "raw", () => assert.fail("gunzip must not run"));
  assert.deepEqual([...labels.labels], [7, 3]);
});

test("bad magic is a FormatError naming the file and both magics", () => {
  assert.throws(
    () => parseIdxImages(tinyLabels, "labels-passed-as-images"),
    (error: unknown) => error instanceof FormatError && /labels-passed-as-images: bad IDX magic 0x00000801, expected 0x00000803/.test(error.message),
  );
});

test("a header cut short is a FormatError", () => {
  assert.throws(() => parseIdxImages(tinyImages.subarray(0, 10), "short"), /short: truncated IDX header: need 16 bytes, the file has 10/);
});

test("truncated data is a FormatError saying how many bytes were expected", () => {
  assert.throws(
    () => parseIdxImages(tinyImages.subarray(0, tinyImages.length - 1), "cut"),
    (error: unknown) => error instanceof FormatError && /cut: truncated IDX data: header says \[2, 2, 3\] = 12 bytes, the file has 11/.test(error.message),
  );
});

test("trailing bytes after the data are a FormatError", () => {
  const padded = Uint8Array.from([...tinyLabels, 0]);
  assert.throws(
    () => parseIdxLabels(padded, "padded"),
    (error: unknown) => error instanceof FormatError && /padded: 1 unexpected bytes/.test(error.message),
  );
});

test("a truncated gzip stream is a FormatError on the zlib path", async () => {
  const gz = gzip(tinyImages);
  await assert.rejects(
    decodeIdxImages(gz.subarray(0, gz.length - 12), "broken.gz", gunzipWithZlib),
    (error: unknown) => error instanceof FormatError && /broken.gz: corrupt or truncated gzip data/.test(error.message),
  );
});

test("a truncated gzip stream is a FormatError on the DecompressionStream path", async () => {
  const gz = gzip(tinyImages);
  await assert.rejects(
    decodeIdxImages(gz.subarray(0, gz.length - 12), "broken.gz", gunzipWithStream),
    (error: unknown) => error instanceof FormatError && /broken.gz: corrupt or truncated gzip data/.test(error.message),
  );
});

test("a pool-backed Buffer is parsed from its own offset and the pixels own their memory", () => {
  Buffer.from("shift the pool so the next Buffer starts mid-slab");
  const pooled = Buffer.from(tinyImages);
  assert.ok(pooled.byteOffset > 0, "the test needs a Buffer that does not start at offset 0");
  const images = parseIdxImages(pooled, "pooled");
  assert.deepEqual([...images.pixels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(images.pixels.byteOffset, 0);
  assert.equal(images.pixels.buffer.byteLength, 12, "a copy, not a view that drags the whole pool slab along");
  const labels = parseIdxLabels(Buffer.from(tinyLabels), "pooled-labels");
  assert.deepEqual([...labels.labels], [7, 3]);
  assert.equal(labels.labels.buffer.byteLength, 2);
});
