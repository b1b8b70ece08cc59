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

test("RLE compression and 16-bit pixels are refused by name", () => {
  assert.throws(
    () => decodeBmp(bmpWith(1, 1, 8, [0, 0, 0, 0], Uint8Array.from([1, 1, 0, 1]), 1)),
    (e) => e instanceof UnsupportedOpError && /BI_RLE8/.test(e.message),
  );
  assert.throws(() => decodeBmp(bmpWith(1, 1, 16, [], Uint8Array.from([1, 1, 0, 0]))), /16-bit pixels are not supported/);
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
