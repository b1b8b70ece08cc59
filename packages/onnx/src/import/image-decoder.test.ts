import assert from "node:assert/strict";
import { test } from "node:test";
import "@polychip/devices";
import { DTypeError, UnsupportedOpError } from "@polychip/hal";
import { execute } from "@polychip/engine/runtime";
import { OnnxSession } from "../session.ts";
import { tensorToProto } from "../tensor.ts";
import { imageDecoderCase } from "../testing/image-cases.ts";
import { bmpFile, pngFile } from "../testing/images.ts";
import { buildModel } from "../testing/model-builder.ts";
import { importOnnx } from "./importer.ts";

/** ImageDecoder on a graph input "bytes" (or an initializer of that name), its pixels doubled as float32 by a device op after it. */
function decoderModel(pixelFormat: string, constant?: Uint8Array, inputType: "uint8" | "float32" = "uint8"): Uint8Array {
  return buildModel({
    opset: 20,
    inputs: constant ? [] : [{ name: "bytes", type: inputType, shape: ["n"] }],
    outputs: [
      { name: "pixels", type: "uint8", shape: ["h", "w", "c"] },
      { name: "doubled", type: "float32", shape: ["h", "w", "c"] },
    ],
    nodes: [
      { op: "ImageDecoder", inputs: ["bytes"], outputs: ["pixels"], attrs: { pixel_format: pixelFormat }, name: "decode_photo" },
      { op: "Cast", inputs: ["pixels"], outputs: ["asFloat"], attrs: { to: 1 } },
      { op: "Add", inputs: ["asFloat", "asFloat"], outputs: ["doubled"] },
    ],
    initializers: constant ? [tensorToProto("bytes", { dtype: "uint8", shape: [constant.length], data: constant })] : [],
  });
}

const small = { width: 3, height: 2, rgb: Uint8Array.from({ length: 18 }, (_, i) => i * 13) };
const wide = { width: 5, height: 3, rgb: Uint8Array.from({ length: 45 }, (_, i) => 250 - i * 5) };
const rows = (rgb: Uint8Array, stride: number) => Array.from({ length: rgb.length / stride }, (_, y) => rgb.slice(y * stride, (y + 1) * stride));

test("a constant encoded image is decoded at import: the pixels are a constant of the plan", async () => {
  const c = imageDecoderCase("png_rgb");
  const graph = importOnnx(decoderModel("RGB", c.encoded));
  assert.deepEqual(graph.inputs, [], "no run-time input: the bytes were known");
  const got = await execute(graph, {}, { device: "cpu" });
  assert.deepEqual(got.pixels!.shape, c.shape);
  assert.deepEqual(Uint8Array.from(got.pixels!.data as ArrayLike<number>), c.expected);
  assert.deepEqual(
    Array.from(got.doubled!.data).slice(0, 6),
    Array.from(c.expected.subarray(0, 6), (v) => 2 * v),
  );
});

for (const device of ["cpu", "npu-sim"])
  test(`on ${device}, one OnnxSession decodes run-time images of two sizes (BMP 3×2, then PNG 5×3) into their own shapes and pixels`, async () => {
    const session = await OnnxSession.create(decoderModel("RGB"), { device });
    try {
      const bmp = bmpFile(small.width, small.height, small.rgb);
      const png = pngFile({ width: wide.width, height: wide.height, colour: 2, depth: 8, rows: rows(wide.rgb, 15), filters: [4] });
      for (const [file, image] of [
        [bmp, small],
        [png, wide],
        [bmp, small],
      ] as const) {
        const got = await session.run({ bytes: { dtype: "uint8", shape: [file.length], data: file } });
        assert.deepEqual(got.pixels!.shape, [image.height, image.width, 3]);
        assert.deepEqual(Array.from(got.pixels!.data), Array.from(image.rgb));
        assert.deepEqual(
          Array.from(got.doubled!.data),
          Array.from(image.rgb, (v) => 2 * v),
        );
      }
    } finally {
      session.dispose();
    }
  });

test("Grayscale at run time gives [H, W, 1]", async () => {
  const session = await OnnxSession.create(decoderModel("Grayscale"), { device: "cpu" });
  try {
    const c = imageDecoderCase("jpeg_grayscale");
    const got = await session.run({ bytes: { dtype: "uint8", shape: [c.encoded.length], data: c.encoded } });
    assert.deepEqual(got.pixels!.shape, [32, 32, 1]);
    assert.deepEqual(Uint8Array.from(got.pixels!.data as ArrayLike<number>), c.expected);
  } finally {
    session.dispose();
  }
});

test("an unsupported or unrecognised image at run time is refused naming the node, the op and the format", async () => {
  const session = await OnnxSession.create(decoderModel("RGB"), { device: "cpu" });
  try {
    const webp = imageDecoderCase("webp_rgb").encoded;
    await assert.rejects(
      session.run({ bytes: { dtype: "uint8", shape: [webp.length], data: webp } }),
      (e) => e instanceof UnsupportedOpError && /'decode_photo' \(ImageDecoder, opset 20\): WebP images are not supported/.test(e.message),
    );
    const junk = Uint8Array.from([1, 2, 3, 4]);
    await assert.rejects(
      session.run({ bytes: { dtype: "uint8", shape: [4], data: junk } }),
      /'decode_photo' \(ImageDecoder, opset 20\): the 4 bytes are not an image format/,
    );
    const truncated = imageDecoderCase("png_rgb").encoded.subarray(0, 100);
    await assert.rejects(session.run({ bytes: { dtype: "uint8", shape: [100], data: truncated } }), /'decode_photo' .*PNG: truncated/);
  } finally {
    session.dispose();
  }
});

test("an unknown pixel_format and a non-uint8 stream are refused at import", () => {
  assert.throws(
    () => importOnnx(decoderModel("CMYK", Uint8Array.from([1]))),
    (e) => e instanceof UnsupportedOpError && /pixel_format 'CMYK' is not one of RGB, BGR, Grayscale/.test(e.message),
  );
  assert.throws(
    () => importOnnx(decoderModel("RGB", undefined, "float32")),
    (e) => e instanceof DTypeError && /encoded_stream must be uint8, got float32/.test(e.message),
  );
});
