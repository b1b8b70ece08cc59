import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { imageDecoderCase } from "../../testing/image-cases.ts";
import { bmpFile, bmpWith } from "../../testing/images.ts";
import { decodeBmp } from "./bmp.ts";

/** 3×2 pixels: a width whose 24-bit rows need padding to 4 bytes. */
const rgb = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => (i * 41 + 5) % 256);

test("ONNX's test BMP (24-bit, bottom-up) decodes to its expected pixels", () => {
  const c = imageDecoderCase("bmp_rgb");
  const image = decodeBmp(c.encoded);
  assert.deepEqual([image.height, image.width, image.channels], c.shape);
  assert.deepEqual(image.data, c.expected);
});

test("24-bit rows padded to 4 bytes, bottom-up and top-down, give the pixels top row first", () => {
  for (const topDown of [false, true]) {
    const image = decodeBmp(bmpFile(3, 2, rgb, 24, topDown));
    assert.deepEqual([image.width, image.height, image.channels], [3, 2, 3]);
    assert.deepEqual(image.data, rgb, `topDown ${topDown}`);
  }
});

test("32-bit BGRA drops the fourth byte", () => {
  assert.deepEqual(decodeBmp(bmpFile(3, 2, rgb, 32)).data, rgb);
});

test("8-bit and 4-bit paletted images map indices through the palette", () => {
  // Palette B, G, R, 0: index 0 red, 1 green, 2 blue. Rows bottom-up, padded to 4 bytes.
  const palette = [0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0, 0];
  const eight = decodeBmp(bmpWith(3, 2, 8, palette, Uint8Array.from([2, 2, 2, 0, 0, 1, 2, 0])));
  assert.deepEqual(Array.from(eight.data), [255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0, 255]);
  const four = decodeBmp(bmpWith(3, 1, 4, palette, Uint8Array.from([0x12, 0x00, 0, 0])));
  assert.deepEqual(Array.from(four.data), [0, 255, 0, 0, 0, 255, 255, 0, 0]);
  assert.throws(() => decodeBmp(bmpWith(1, 1, 8, palette, Uint8Array.from([7, 0, 0, 0]))), /palette index 7 beyond the 3-colour palette/);
});

/** Palette (B, G, R, 0): 0 black, 1 red, 2 green, 3 blue. */
const PALETTE = [0, 0, 0, 0, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0, 0];
const colour = (i: number) =>
  [
    [0, 0, 0],
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
  ][i]!;

test("RLE8: runs, a run clipped at the row's end, absolute mode with padding, end of line, delta and end of bitmap", () => {
  const stream = Uint8Array.from([
    ...[3, 1, 0, 0], // bottom row: 1 1 1, end of line
    ...[0, 3, 2, 3, 2, 0, 5, 3, 0, 0], // absolute 2 3 2 (padded), a run of five 3s clipped to one, end of line
    ...[0, 2, 2, 0, 1, 2, 0, 1], // delta to x 2 of the same row, one 2, end of bitmap
  ]);
  const image = decodeBmp(bmpWith(4, 3, 8, PALETTE, stream, 1));
  const rows = [
    [0, 0, 2, 0],
    [2, 3, 2, 3],
    [1, 1, 1, 0],
  ];
  assert.deepEqual(Array.from(image.data), rows.flat().flatMap(colour));
});

test("RLE4: nibble runs and an absolute run of three nibbles", () => {
  const stream = Uint8Array.from([0, 3, 0x31, 0x20, 2, 0x33, 0, 0, 5, 0x12, 0, 1]);
  const image = decodeBmp(bmpWith(5, 2, 4, PALETTE, stream, 2));
  assert.deepEqual(Array.from(image.data), [1, 2, 1, 2, 1, 3, 1, 2, 3, 3].flatMap(colour));
});

test("a truncated RLE stream is refused; 16-bit pixels and RLE with 24-bit pixels are refused by name", () => {
  assert.throws(
    () => decodeBmp(bmpWith(4, 3, 8, PALETTE, Uint8Array.from([3, 1, 0, 0, 2]), 1)),
    (e) => e instanceof FormatError && /truncated file \(the RLE8 data ends at row 1 of 3\)/.test(e.message),
  );
  assert.throws(
    () => decodeBmp(bmpWith(1, 1, 16, [], Uint8Array.from([1, 1, 0, 0]))),
    (e) => e instanceof UnsupportedOpError && /16-bit pixels are not supported/.test(e.message),
  );
  assert.throws(() => decodeBmp(bmpWith(1, 1, 24, [], Uint8Array.from([1, 1, 0, 0]), 1)), /compression 1 \(BI_RLE8\) with 24-bit pixels is not supported/);
});

test("truncated BMP files are refused with a FormatError", () => {
  const file = imageDecoderCase("bmp_rgb").encoded;
  for (const cut of [2, 20, 40, 54, 1000, file.length - 1])
    assert.throws(
      () => decodeBmp(file.subarray(0, cut)),
      (e) => e instanceof FormatError && /truncated file/.test(e.message),
      `cut at ${cut}`,
    );
});
