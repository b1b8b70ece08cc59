import assert from "node:assert/strict";
import { test } from "node:test";
import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { imageDecoderCase } from "../../testing/image-cases.ts";
import { decodePnm } from "./pnm.ts";

const ascii = (s: string) => new TextEncoder().encode(s);
const withBytes = (header: string, bytes: number[]) => Uint8Array.from([...ascii(header), ...bytes]);

test("ONNX's test PPM (P6) decodes to its expected pixels", () => {
  const c = imageDecoderCase("pnm_rgb");
  const image = decodePnm(c.encoded);
  assert.deepEqual([image.height, image.width, image.channels], c.shape);
  assert.deepEqual(image.data, c.expected);
});

test("binary P6 and P5 with a comment in the header", () => {
  const p6 = decodePnm(withBytes("P6\n# made by hand\n2 1\n255\n", [1, 2, 3, 4, 5, 6]));
  assert.deepEqual([p6.width, p6.height, p6.channels, ...p6.data], [2, 1, 3, 1, 2, 3, 4, 5, 6]);
  const p5 = decodePnm(withBytes("P5 3 1 255 ", [9, 8, 7]));
  assert.deepEqual([p5.width, p5.height, p5.channels, ...p5.data], [3, 1, 1, 9, 8, 7]);
});

test("ASCII P3 and P2, a maxval below 255 scaled, and 2-byte samples big-endian", () => {
  assert.deepEqual(Array.from(decodePnm(ascii("P3\n1 2\n255\n10 20 30\n40 50 60\n")).data), [10, 20, 30, 40, 50, 60]);
  assert.deepEqual(Array.from(decodePnm(ascii("P2 3 1 15 0 15 7")).data), [0, 255, 119]);
  // 1/6·255 = 42.5 and 3/6·255 = 127.5: ties go to the even neighbour, as Python's round in Pillow's decoder.
  assert.deepEqual(Array.from(decodePnm(ascii("P2 2 1 6 1 3")).data), [42, 128]);
  assert.deepEqual(Array.from(decodePnm(withBytes("P5 2 1 65535\n", [0xff, 0xff, 0x80, 0x00])).data), [255, 128]);
});

test("bitmaps: ASCII P1 (digits with or without spaces) and binary P4 rows padded to bytes, 1 black and 0 white", () => {
  const p1 = decodePnm(ascii("P1\n# a comment\n3 2\n1 0 1\n011\n"));
  assert.deepEqual([p1.width, p1.height, p1.channels, ...p1.data], [3, 2, 1, 0, 255, 0, 255, 0, 0]);
  const p4 = decodePnm(withBytes("P4\n10 2\n", [0b10110000, 0b01000000, 0b00000000, 0b11000000]));
  assert.deepEqual(Array.from(p4.data), [0, 255, 0, 0, 255, 255, 255, 255, 255, 0, ...Array(8).fill(255), 0, 0]);
});

test("PAM (P7) is refused; samples above maxval, bad bits and truncated files are FormatErrors", () => {
  assert.throws(
    () => decodePnm(ascii("P7\nWIDTH 1\n")),
    (e) => e instanceof UnsupportedOpError && /P7 images are not supported/.test(e.message),
  );
  assert.throws(() => decodePnm(ascii("P2 1 1 15 16")), /sample 16 above maxval 15/);
  assert.throws(() => decodePnm(ascii("P1 2 1 1 2")), /'2' where a P1 bit \(0 or 1\) belongs/);
  assert.throws(
    () => decodePnm(withBytes("P4 9 2\n", [1, 2, 3])),
    (e) => e instanceof FormatError && /truncated file/.test(e.message),
  );
  assert.throws(
    () => decodePnm(withBytes("P6 2 1 255\n", [1, 2, 3])),
    (e) => e instanceof FormatError && /truncated file/.test(e.message),
  );
  assert.throws(() => decodePnm(ascii("P6 2")), /truncated file where the height belongs/);
});
