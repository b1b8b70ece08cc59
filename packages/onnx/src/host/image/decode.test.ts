import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { imageDecoderCase } from "../../testing/image-cases.ts";
import { bmpFile, pngFile } from "../../testing/images.ts";
import { decodeImage, sniffFormat } from "./decode.ts";

test("each ONNX test file is recognised by its first bytes", () => {
  const names = { bmp_rgb: "BMP", pnm_rgb: "PNM", png_rgb: "PNG", tiff_rgb: "TIFF", jpeg_rgb: "JPEG", webp_rgb: "WebP", jpeg2k_rgb: "JPEG 2000" };
  for (const [name, format] of Object.entries(names)) assert.equal(sniffFormat(imageDecoderCase(name).encoded), format, name);
});

test("BGR reverses each pixel; Grayscale is Pillow's integer luma of the RGB pixels", () => {
  const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 30];
  const file = bmpFile(2, 2, rgb);
  assert.deepEqual(decodeImage(file, "RGB"), { shape: [2, 2, 3], data: Uint8Array.from(rgb) });
  assert.deepEqual(Array.from(decodeImage(file, "BGR").data), [0, 0, 255, 0, 255, 0, 255, 0, 0, 30, 200, 10]);
  // (19595 R + 38470 G + 7471 B + 32768) >> 16
  assert.deepEqual(decodeImage(file, "Grayscale"), { shape: [2, 2, 1], data: Uint8Array.from([76, 150, 29, 124]) });
});

test("ONNX's BGR and Grayscale JPEG tests: exactly their expected pixels", () => {
  for (const [name, format] of [
    ["jpeg_bgr", "BGR"],
    ["jpeg_grayscale", "Grayscale"],
  ] as const) {
    const c = imageDecoderCase(name);
    const got = decodeImage(c.encoded, format);
    assert.deepEqual(got.shape, c.shape, name);
    assert.deepEqual(got.data, c.expected, name);
  }
});

test("a gray image repeats its value in RGB and BGR and stays itself in Grayscale", () => {
  const file = pngFile({ width: 2, height: 1, colour: 0, depth: 8, rows: [Uint8Array.from([7, 200])] });
  assert.deepEqual(Array.from(decodeImage(file, "BGR").data), [7, 7, 7, 200, 200, 200]);
  assert.deepEqual(decodeImage(file, "Grayscale"), { shape: [1, 2, 1], data: Uint8Array.from([7, 200]) });
});

test("WebP and JPEG 2000 are refused by name; unknown and empty bytes are FormatErrors", () => {
  assert.throws(
    () => decodeImage(imageDecoderCase("webp_rgb").encoded, "RGB"),
    (e) => e instanceof UnsupportedOpError && /^WebP images are not supported/.test(e.message),
  );
  assert.throws(() => decodeImage(imageDecoderCase("jpeg2k_rgb").encoded, "RGB"), /JPEG 2000 images are not supported/);
  assert.throws(
    () => decodeImage(new TextEncoder().encode("hello, world"), "RGB"),
    (e) => e instanceof FormatError && /not an image format ImageDecoder knows \(they start 68 65 6c/.test(e.message),
  );
  assert.throws(() => decodeImage(new Uint8Array(0), "RGB"), /the 0 bytes are not an image format ImageDecoder knows \(they start with nothing/);
});
