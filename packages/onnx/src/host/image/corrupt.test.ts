import assert from "node:assert/strict";
import { test } from "node:test";
import { PolychipError } from "@polychip/hal";
import { imageDecoderCase } from "../../testing/image-cases.ts";
import { decodeImage } from "./decode.ts";

/** A small deterministic generator (mulberry32), so that a failure names a reproducible case. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const name of ["png_rgb", "jpeg_rgb", "bmp_rgb", "tiff_rgb", "pnm_rgb"])
  test(`${name} with random bytes changed: a decoded image of the declared size or a Polychip error, never another exception`, () => {
    const file = imageDecoderCase(name).encoded;
    const next = random(name.length * 7919);
    let refused = 0;
    for (let trial = 0; trial < 300; trial++) {
      const bytes = file.slice();
      const changes = 1 + Math.floor(next() * 4);
      for (let k = 0; k < changes; k++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      try {
        const { shape, data } = decodeImage(bytes, "RGB");
        assert.equal(data.length, shape[0]! * shape[1]! * shape[2]!, `${name} trial ${trial}: data length matches the shape`);
      } catch (e) {
        assert.ok(e instanceof PolychipError, `${name} trial ${trial}: ${(e as Error)?.stack ?? e}`);
        refused++;
      }
    }
    // A PNM's samples are raw bytes: any value is a valid pixel, so only its header can be refused.
    if (name !== "pnm_rgb") assert.ok(refused > 0, `${name}: some corruptions are refused`);
  });

for (const name of ["png_rgb", "jpeg_rgb", "bmp_rgb", "tiff_rgb", "pnm_rgb"])
  test(`${name} cut at every length is refused as a truncated or corrupt file`, () => {
    const file = imageDecoderCase(name).encoded;
    for (let cut = 0; cut < file.length; cut++)
      assert.throws(
        () => decodeImage(file.subarray(0, cut), "RGB"),
        (e) => e instanceof PolychipError && /truncated|corrupt|not an image format|strip|no EOI|holds/.test(e.message),
        `${name} cut at ${cut}`,
      );
  });
