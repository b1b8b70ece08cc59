import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { imageDecoderCase } from "../../testing/image-cases.ts";
import { decodeJpeg } from "./jpeg.ts";

/** libjpeg-turbo's cjpeg files and djpeg's pixels (scripts/generate-jpeg-fixtures.ts). */
const fixture = JSON.parse(readFileSync(new URL("../../../fixtures/jpeg-libjpeg.json", import.meta.url), "utf8")) as {
  width: number;
  height: number;
  fixtures: Record<string, { jpeg: string; pixels: string; channels: number }>;
};
const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** How many samples differ and by how much at most (0, 0 when equal). */
function difference(got: Uint8Array, want: Uint8Array): { count: number; max: number } {
  let count = 0;
  let max = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (d) count++;
    max = Math.max(max, d);
  }
  return { count, max };
}

test("ONNX's test JPEG (baseline 4:2:0) decodes to exactly the pixels of its reference (Pillow/libjpeg)", () => {
  const c = imageDecoderCase("jpeg_rgb");
  const image = decodeJpeg(c.encoded);
  assert.deepEqual([image.height, image.width, image.channels], c.shape);
  assert.deepEqual(difference(image.data, c.expected), { count: 0, max: 0 });
});

for (const [name, f] of Object.entries(fixture.fixtures))
  test(`${name}: exactly libjpeg-turbo's pixels (37×23)`, () => {
    const image = decodeJpeg(b64(f.jpeg));
    assert.deepEqual([image.width, image.height, image.channels], [fixture.width, fixture.height, f.channels]);
    assert.deepEqual(difference(image.data, b64(f.pixels)), { count: 0, max: 0 });
  });

test("truncated JPEG files are refused with a FormatError, at every cut", () => {
  const whole = imageDecoderCase("jpeg_rgb").encoded;
  const progressive = b64(fixture.fixtures["1x1 progressive, quality 95"]!.jpeg);
  for (const file of [whole, progressive])
    for (const cut of [3, 10, 100, 300, 700, file.length - 200, file.length - 2, file.length - 1])
      assert.throws(
        () => decodeJpeg(file.subarray(0, cut)),
        (e) => e instanceof FormatError && /truncated|corrupt/.test(e.message),
        `cut at ${cut}`,
      );
});

test("arithmetic coding, 12-bit samples and 4 components are refused by name", () => {
  const file = imageDecoderCase("jpeg_rgb").encoded;
  const sof = file.findIndex((b, i) => b === 0xff && file[i + 1] === 0xc0);
  const patched = (at: number, value: number) => {
    const copy = file.slice();
    copy[at] = value;
    return copy;
  };
  assert.throws(
    () => decodeJpeg(patched(sof + 1, 0xc9)),
    (e) => e instanceof UnsupportedOpError && /arithmetic-coded sequential JPEG/.test(e.message),
  );
  assert.throws(() => decodeJpeg(patched(sof + 4, 12)), /12-bit samples are not supported/);
  assert.throws(() => decodeJpeg(patched(sof + 9, 4)), /4-component images \(CMYK, YCCK\)/);
});

test("corrupt entropy-coded data (a marker inside it) is refused", () => {
  const file = imageDecoderCase("jpeg_rgb").encoded;
  const sos = file.findIndex((b, i) => b === 0xff && file[i + 1] === 0xda);
  const copy = file.slice();
  copy.set([0xff, 0xc4], sos + 40);
  assert.throws(
    () => decodeJpeg(copy),
    (e) => e instanceof FormatError && /JPEG: corrupt/.test(e.message),
  );
});

test("extraneous bytes and 0xFF fill before a marker are skipped, as libjpeg skips them", () => {
  const c = imageDecoderCase("jpeg_rgb");
  const dqt = c.encoded.findIndex((b, i) => b === 0xff && c.encoded[i + 1] === 0xdb);
  const padded = Uint8Array.from([...c.encoded.subarray(0, dqt), 0x00, 0x12, 0xff, 0x00, 0xff, 0xff, ...c.encoded.subarray(dqt)]);
  assert.deepEqual(decodeJpeg(padded).data, c.expected);
});
