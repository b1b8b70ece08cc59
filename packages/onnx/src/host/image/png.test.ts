import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError } from "@polychip/hal";
import { imageDecoderCase } from "../../testing/image-cases.ts";
import { pngFile } from "../../testing/images.ts";
import { decodePng } from "./png.ts";

/** 5×3 RGB pixels with distinct values. */
const rgb = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37 + 11) % 256);
const rowsOf = (data: Uint8Array, stride: number, height: number) => Array.from({ length: height }, (_, y) => data.slice(y * stride, (y + 1) * stride));

test("ONNX's test PNG (compressed with fixed Huffman codes) decodes to its expected pixels", () => {
  const c = imageDecoderCase("png_rgb");
  const image = decodePng(c.encoded);
  assert.deepEqual([image.height, image.width, image.channels], c.shape);
  assert.deepEqual(image.data, c.expected);
});

test("8-bit RGB through each of the five filters gives back the pixels", () => {
  for (const filters of [[0], [1], [2], [3], [4], [4, 3, 1]]) {
    const image = decodePng(pngFile({ width: 5, height: 3, colour: 2, depth: 8, rows: rowsOf(rgb, 15, 3), filters }));
    assert.deepEqual(image.data, rgb, `filters ${filters}`);
    assert.deepEqual([image.width, image.height, image.channels], [5, 3, 3]);
  }
});

test("RGBA drops alpha; 16-bit RGB keeps each sample's high byte", () => {
  const rgba = Uint8Array.from({ length: 15 * 4 }, (_, i) => (i % 4 === 3 ? 7 : rgb[i - (i >> 2)]!));
  assert.deepEqual(decodePng(pngFile({ width: 5, height: 3, colour: 6, depth: 8, rows: rowsOf(rgba, 20, 3), filters: [4] })).data, rgb);
  const wide = Uint8Array.from({ length: 15 * 3 * 2 }, (_, i) => (i % 2 ? 0xab : rgb[i >> 1]!));
  assert.deepEqual(decodePng(pngFile({ width: 5, height: 3, colour: 2, depth: 16, rows: rowsOf(wide, 30, 3), filters: [1, 4] })).data, rgb);
});

test("gray at 1, 4 and 8 bits scales to 0..255 and stays one channel; gray+alpha drops alpha", () => {
  // 1-bit: 10 pixels 1011001110 in two bytes per row.
  const one = decodePng(pngFile({ width: 10, height: 1, colour: 0, depth: 1, rows: [Uint8Array.from([0b10110011, 0b10000000])] }));
  assert.equal(one.channels, 1);
  assert.deepEqual(
    Array.from(one.data),
    [1, 0, 1, 1, 0, 0, 1, 1, 1, 0].map((b) => b * 255),
  );
  const four = decodePng(pngFile({ width: 3, height: 1, colour: 0, depth: 4, rows: [Uint8Array.from([0x0f, 0x80])] }));
  assert.deepEqual(Array.from(four.data), [0, 255, 136]);
  const ga = decodePng(
    pngFile({ width: 2, height: 2, colour: 4, depth: 8, rows: [Uint8Array.from([10, 255, 20, 0]), Uint8Array.from([30, 1, 40, 2])], filters: [2] }),
  );
  assert.deepEqual(Array.from(ga.data), [10, 20, 30, 40]);
});

test("a 2-bit palette image maps indices to the palette's colours", () => {
  const palette = [255, 0, 0, 0, 255, 0, 0, 0, 255];
  const image = decodePng(pngFile({ width: 3, height: 1, colour: 3, depth: 2, rows: [Uint8Array.from([0b10000100])], palette }));
  assert.deepEqual(Array.from(image.data), [0, 0, 255, 255, 0, 0, 0, 255, 0]);
  assert.throws(
    () => decodePng(pngFile({ width: 1, height: 1, colour: 3, depth: 8, rows: [Uint8Array.from([5])], palette })),
    (e) => e instanceof FormatError && /palette index 5 beyond the 3-colour palette/.test(e.message),
  );
});

/** Adam7-interlaced PNGs that netpbm's pnmtopng (libpng, zlib's dynamic blocks) wrote from known pixels. */
const INTERLACED_PALETTE =
  "iVBORw0KGgoAAAANSUhEUgAAAAsAAAAHCAMAAAGet3f5AAAAqFBMVEVFkt9ptgNXpPG4BVJ7yBXKF2TcKXbuO4gATZoSX6yh7jskcb67CFXNGmc4hdJKl+RuuwhcqfaAzRrPHGmS3yzhLnuk8T7zQI0FUp8XZLEpdsM7iNXADVrSH2zkMX72Q5BzwA1hrvuF0h+X5DHmM4Cp9kP4RZIKV6QcabYue8hAjdpSn+yzAE3FEl/XJHHpNoP7SJWK1yQNWqec6Tau+0gPXKkhbrszgM0oS1sBAAAAWElEQVQImS3JVQ6DUAAF0VsoVvQhxd2lgu9/Z0DC35wMeBoEb56gHQuE7YheX9haQSxeARfJy8Aj/9gbpN8pTP4peB2lZfPAWNWKp1kGX85pdjWFHP2F+x1ccAhQtTEruQAAAABJRU5ErkJggg==";
const INTERLACED_1_BIT = "iVBORw0KGgoAAAANSUhEUgAAAAkAAAAFAQAAAAHIL8tQAAAAGUlEQVQImWNwYGhgSADiBgYGhg1gnNsARAA5UwVbH16d8gAAAABJRU5ErkJggg==";
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

test("Adam7-interlaced palette (11×7) and 1-bit gray (9×5) images put each pass's pixels in place", () => {
  const palette = decodePng(b64(INTERLACED_PALETTE));
  assert.deepEqual([palette.width, palette.height, palette.channels], [11, 7, 3]);
  assert.deepEqual(
    palette.data,
    Uint8Array.from({ length: 11 * 7 * 3 }, (_, i) => ((((i / 3) | 0) % 11) * 23 + Math.floor(i / 33) * 41 + (i % 3) * 77) % 256),
  );
  const bits = decodePng(b64(INTERLACED_1_BIT));
  assert.deepEqual([bits.width, bits.height, bits.channels], [9, 5, 1]);
  // Black (0) where (x·y + x) mod 3 = 0.
  assert.deepEqual(
    bits.data,
    Uint8Array.from({ length: 45 }, (_, i) => (((i % 9) * Math.floor(i / 9) + (i % 9)) % 3 === 0 ? 0 : 255)),
  );
});

test("invalid colour type and depth pairs and unknown interlace methods are refused", () => {
  const spec = { width: 5, height: 3, colour: 2, depth: 8, rows: rowsOf(rgb, 15, 3) };
  assert.throws(
    () => decodePng(pngFile({ ...spec, depth: 4 })),
    (e) => e instanceof FormatError && /invalid colour type 2 with bit depth 4/.test(e.message),
  );
  assert.throws(() => decodePng(pngFile({ ...spec, interlace: 2 })), /unknown interlace method 2/);
});

test("truncated PNG files are refused with a FormatError, at every cut", () => {
  const file = imageDecoderCase("png_rgb").encoded;
  for (const cut of [8, 20, 40, 100, 200, file.length - 13, file.length - 1])
    assert.throws(
      () => decodePng(file.subarray(0, cut)),
      (e) => e instanceof FormatError && /truncated/.test(e.message),
      `cut at ${cut}`,
    );
});

test("image data shorter than the header's size is refused, not padded", () => {
  const short = pngFile({ width: 5, height: 4, colour: 2, depth: 8, rows: rowsOf(rgb, 15, 3) });
  assert.throws(() => decodePng(short), /image data holds 48 bytes, 64 expected for 5×4/);
});

test("a header chunk whose CRC does not match is refused as corrupt", () => {
  const file = pngFile({ width: 5, height: 3, colour: 2, depth: 8, rows: rowsOf(rgb, 15, 3) });
  file[20] ^= 1;
  assert.throws(
    () => decodePng(file),
    (e) => e instanceof FormatError && /chunk IHDR fails its CRC check/.test(e.message),
  );
});
