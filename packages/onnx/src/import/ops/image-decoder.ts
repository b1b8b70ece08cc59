import { DTypeError, PolychipError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import { decodeImage, type PixelFormat } from "../../host/image/decode.ts";
import type { HostTensor } from "../../tensor.ts";
import { lowerThroughHost } from "../host-step.ts";
import { input, output, type OpImporter } from "./helpers.ts";

const PIXEL_FORMATS: readonly string[] = ["RGB", "BGR", "Grayscale"];

/**
 * ImageDecoder (opset 20): a 1-D uint8 encoded image file → uint8 [H, W, 3] (RGB or BGR) or
 * [H, W, 1] (Grayscale). Decoding reads the bytes and the image's size depends on them, so it is
 * a host step (host-step.ts): at import when the bytes are known, else per run under OnnxSession,
 * whose plan for the rest of the model then reads the pixels as an input of the decoded size.
 * The decoders (host/image/) cover PNG, JPEG, BMP, PNM and TIFF; other formats are refused by name.
 * A stream that cannot be decoded is an error naming the node, where ONNX's spec returns an empty
 * [0, 0, C] image: a silent empty result would hide a corrupt input.
 */
const imageDecoder: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const pixelFormat = node.attrs.string("pixel_format", "RGB");
  if (!PIXEL_FORMATS.includes(pixelFormat))
    throw new UnsupportedOpError(`${ctx.where()}: pixel_format '${pixelFormat}' is not one of ${PIXEL_FORMATS.join(", ")}`);
  if (ctx.dtype(x) !== "uint8") throw new DTypeError(`${ctx.where()}: encoded_stream must be uint8, got ${ctx.dtype(x)}`);
  if (ctx.dims(x).length !== 1) throw new ShapeError(`${ctx.where()}: encoded_stream must be 1-D, got rank ${ctx.dims(x).length}`);
  lowerThroughHost(ctx, node, {
    reads: [x],
    why: "ImageDecoder's encoded_stream (the image's size depends on its bytes)",
    results: 1,
    compute: imageDecoderStep(ctx.where(), pixelFormat as PixelFormat),
    lower: ([pixels]) => ctx.bind(output(node), pixels!),
  });
};

/** The host part (module level: a closure in the importer would keep the import alive while a session caches the step). */
function imageDecoderStep(where: string, pixelFormat: PixelFormat) {
  return ([x]: readonly (HostTensor | undefined)[]): HostTensor[] => {
    try {
      const bytes = x!.data instanceof Uint8Array ? x!.data : Uint8Array.from(x!.data as ArrayLike<number>);
      const { shape, data } = decodeImage(bytes, pixelFormat);
      return [{ dtype: "uint8", shape, data }];
    } catch (e) {
      if (!(e instanceof PolychipError)) throw e;
      // Same class, the node named first.
      const error = new (e.constructor as new (message: string) => PolychipError)(`${where}: ${e.message}`);
      throw error;
    }
  };
}

export const IMAGE_DECODER_IMPORTERS: Readonly<Record<string, OpImporter>> = { ImageDecoder: imageDecoder };
