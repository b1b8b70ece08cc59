import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { imageDecoderCase } from "../../testing/image-cases.ts";
import { tiffFile, zlibStored } from "../../testing/images.ts";
import { decodeTiff, lzw, packBits } from "./tiff.ts";

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
/** 30×10 RGB samples; the LZW fixture (a Python encoder switching code widths as libtiff's LZWEncode does) codes them with 9- to 11-bit codes. */
const SAMPLES = Uint8Array.from({ length: 900 }, (_, i) => (i * i * 31 + i * 7 + (i >> 4)) % 256);
const LZW_SAMPLES = b64(
  "gAAEyKFgMFSGED4BxiejEaQeVBxO67Hr9fY3WJpL6TAq1UbPHLiZDsJzuZjoITaWDECymOiAZRTDIdL7fTqZaZLAL1E6XIoxLbENROODQNxKMi8KQmHCICzidg1XZ/QLBH77eotUZXJJ5c6TPqmBiwSSyCCsQyeeiILRqXBEBwXLrhUajcJdC4PIq5NZbRL1T6IVwSWiUWQOVCASzqPhMLSmGD5f5DYqFQa/HLxc4bRo9FZXYJqKB0ax2KhwZRiHBMTwufgIKTbUKlc5nEohLbTRJ9V4fZq5cZMeTWfBYezSdhEbSuYAQTxqOi9IYHBJJY6DPq1FbfaIBN4bAouSg4DQ6TA0BwmPgQcTyIDMSyfcppFYrNLlT6XZpBebjCI+hOCAbE0HgOB0SwYAQDw5AIahxBcXBAkOZYmgaBYjmCPI3lGCpilmb4knkbB+C8fxuHwKR1GAagTFsQhIG0MYUhaN53laVJxi2CIChuU4qiCNZqD0LxAHAPwtDoZgxBsJBMBMeR+CKZZHkiaIngWAoelmM4skSe5RkaWwOGAURhBAXhLFcAhMDUPRkCoDwTjaeJZlmeI2hOD4qmSPY1kyApXkwXwRGIUhhA8XBIFMfRGC4NRbCABIHimapKkmZ4kgCe4Vk6JodjOaI9DAQhzEMMhAG0OQkC4VwfAYDAxHWWJanuO4ahiNZxkyRpfhebpknmLgBHMBA0AMcR+CodRfGgEBXD0QhmimC4Miya5JkaYodnecIIj+FYKh8UgkBUJRUCIDwbEYEB5AEKBuFMV56jyHYdjyepXlOboogGeYQkaG4QCMVQmBYJRTCADAXEEChyHkHxkEiS5ti6DoNiuaJEj+WYSmqYZ3iyAR0AYNwHHYBAxH0aByBsYxKFAdQ5hyHo/n+XpcnmNYQgqI5bjKKI9nIRQ3EgeBHDUQhuDkIwsFQGwBAYKptk+UJwi+DYKiaYY7jSTIDlmTpjBYaBZGkGBmFMXwKFQPRFGwMgXBuPoAmGYYAj6G4XjKbJFj2VIKl+VBnBkahaGkFxkFAWwFE4Ng9GMKAMg+MZylKUZviyCIDh2VouiWO5wkUOBKHsSw6EgdRBCwNhfCcDgUDkfZgmKA5DiKII9nmVJOmeH52myAY2AkewMDwCx5AYMh9GccAYF8RRKG6MYThSNJzlGTpqiWf54hCR4dhKJxaCwHQtFwKgXCMTgYAECQwHYWxfgKRIliWRICl+W52jCCYBhiJ0I4MArC6C4DwLQtgoAoB8JIEg9ABBOGwKEU46w2gtBWGccImRHjDBqOUaY/w0gSHwBwPwHh+AYDkAocA9AjDWFILAfQgwkhNEeA8ZoyQBh7BiCUK4xw6hhEWPQTQfhQAAE8HoSg7BBBWDQLgIwEgOBlHWK8WI8Q3grBKF0aYhw8ipAuMMVo1geDgGEOIIA3BbDOBILgRQmh0B0B8EcRoERpjTAiI0I4Pw6jpE2IsXIJRni4G8EIchAQ",
);

test("ONNX's test TIFF (uncompressed RGB strips) decodes to its expected pixels", () => {
  const c = imageDecoderCase("tiff_rgb");
  const image = decodeTiff(c.encoded);
  assert.deepEqual([image.height, image.width, image.channels], c.shape);
  assert.deepEqual(image.data, c.expected);
});

test("uncompressed RGB in several strips, and RGBA dropping alpha", () => {
  const rgb = SAMPLES.subarray(0, 4 * 3 * 3);
  const image = decodeTiff(tiffFile(4, 3, 3, 2, [rgb.slice(0, 24), rgb.slice(24)], 1, 2));
  assert.deepEqual([image.width, image.height, image.channels], [4, 3, 3]);
  assert.deepEqual(image.data, rgb);
  const rgba = Uint8Array.from({ length: 12 * 4 }, (_, i) => (i % 4 === 3 ? 0 : rgb[i - (i >> 2)]!));
  assert.deepEqual(decodeTiff(tiffFile(4, 3, 4, 2, [rgba], 1, 3, [[338, 3, [2]]])).data, rgb);
});

test("gray: BlackIsZero as is, WhiteIsZero inverted", () => {
  assert.deepEqual(Array.from(decodeTiff(tiffFile(3, 1, 1, 1, [Uint8Array.from([0, 100, 255])])).data), [0, 100, 255]);
  assert.deepEqual(Array.from(decodeTiff(tiffFile(3, 1, 1, 0, [Uint8Array.from([0, 100, 255])])).data), [255, 155, 0]);
});

test("LZW with codes growing to 11 bits, and with the horizontal predictor", () => {
  assert.deepEqual(lzw(LZW_SAMPLES, 900), SAMPLES);
  assert.deepEqual(decodeTiff(tiffFile(30, 10, 3, 2, [LZW_SAMPLES], 5)).data, SAMPLES);
  // With predictor 2 the stored bytes are differences from the pixel to the left.
  const diffs = SAMPLES.map((v, i) => (i % 90 < 3 ? v : (v - SAMPLES[i - 3]!) & 255));
  const predicted = decodeTiff(tiffFile(30, 10, 3, 2, [diffs], 1, 10, [[317, 3, [2]]]));
  assert.deepEqual(predicted.data, SAMPLES);
});

test("PackBits literal and repeat runs", () => {
  const packed = Uint8Array.from([2, 10, 20, 30, 0xfd, 99, 0x80, 0, 40]);
  assert.deepEqual(Array.from(packBits(packed, 8)), [10, 20, 30, 99, 99, 99, 99, 40]);
  assert.deepEqual(Array.from(decodeTiff(tiffFile(8, 1, 1, 1, [packed], 32773)).data), [10, 20, 30, 99, 99, 99, 99, 40]);
});

test("Deflate (zlib) strips, with the horizontal predictor", () => {
  const diffs = SAMPLES.map((v, i) => (i % 90 < 3 ? v : (v - SAMPLES[i - 3]!) & 255));
  for (const code of [8, 32946]) {
    const image = decodeTiff(tiffFile(30, 10, 3, 2, [zlibStored(diffs.subarray(0, 450)), zlibStored(diffs.subarray(450))], code, 5, [[317, 3, [2]]]));
    assert.deepEqual(image.data, SAMPLES, `compression ${code}`);
  }
});

test("JPEG compression, 16-bit samples and tiles are refused by name", () => {
  const one = [Uint8Array.from([1])];
  assert.throws(
    () => decodeTiff(tiffFile(1, 1, 1, 1, one, 7)),
    (e) => e instanceof UnsupportedOpError && /compression 7 \(JPEG\) is not supported/.test(e.message),
  );
  assert.throws(() => decodeTiff(tiffFile(1, 1, 1, 1, one, 1, 1, [[258, 3, [16]]])), /16-bit samples are not supported/);
  assert.throws(() => decodeTiff(tiffFile(1, 1, 1, 1, one, 1, 1, [[322, 3, [16]]])), /tiled images/);
});

test("truncated TIFF files and short strips are refused with a FormatError", () => {
  const file = imageDecoderCase("tiff_rgb").encoded;
  for (const cut of [6, 30, 140, 1000, file.length - 1])
    assert.throws(
      () => decodeTiff(file.subarray(0, cut)),
      (e) => e instanceof FormatError && /truncated|strip/.test(e.message),
      `cut at ${cut}`,
    );
  assert.throws(() => decodeTiff(tiffFile(4, 3, 3, 2, [SAMPLES.slice(0, 30)])), /strip 0 holds 30 bytes, 36 expected/);
});
