import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { decodeBmp } from "./bmp.ts";
import type { DecodedImage } from "./image.ts";
import { decodeJpeg } from "./jpeg.ts";
import { decodePng, PNG_SIGNATURE } from "./png.ts";
import { decodePnm } from "./pnm.ts";
import { decodeTiff } from "./tiff.ts";

export type PixelFormat = "RGB" | "BGR" | "Grayscale";

/** Formats recognised by their first bytes; `decode` is absent for those recognised only to be refused by name. */
interface Format {
  readonly name: string;
  readonly matches: (b: Uint8Array) => boolean;
  readonly decode?: (b: Uint8Array) => DecodedImage;
}

const startsWith = (b: Uint8Array, prefix: readonly number[], at = 0) => prefix.every((v, i) => b[at + i] === v);
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

const FORMATS: readonly Format[] = [
  { name: "PNG", matches: (b) => startsWith(b, PNG_SIGNATURE), decode: decodePng },
  { name: "JPEG", matches: (b) => startsWith(b, [0xff, 0xd8, 0xff]), decode: decodeJpeg },
  { name: "BMP", matches: (b) => startsWith(b, ascii("BM")), decode: decodeBmp },
  { name: "PNM", matches: (b) => b[0] === 0x50 && b[1]! >= 0x31 && b[1]! <= 0x37 && [0x20, 0x09, 0x0a, 0x0d, 0x23].includes(b[2]!), decode: decodePnm },
  { name: "TIFF", matches: (b) => startsWith(b, ascii("II*\0")) || startsWith(b, ascii("MM\0*")), decode: decodeTiff },
  { name: "WebP", matches: (b) => startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8) },
  { name: "JPEG 2000", matches: (b) => startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(b, [0xff, 0x4f, 0xff, 0x51]) },
  { name: "GIF", matches: (b) => startsWith(b, ascii("GIF8")) },
];

/** The format name of an encoded image, or undefined when its first bytes match none known. */
export function sniffFormat(bytes: Uint8Array): string | undefined {
  return FORMATS.find((f) => f.matches(bytes))?.name;
}

/**
 * Decodes an encoded image file into [height, width, channels] bytes as ONNX's ImageDecoder
 * (whose reference is Pillow's open(...).convert(mode)): RGB or BGR (gray images repeat their
 * value), or Grayscale (colour images through Pillow's integer luma, L = (19595 R + 38470 G +
 * 7471 B + 2^15) >> 16). Errors name the format and what is wrong, never guess.
 */
export function decodeImage(bytes: Uint8Array, pixelFormat: PixelFormat): { shape: [number, number, number]; data: Uint8Array } {
  const format = FORMATS.find((f) => f.matches(bytes));
  if (!format) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new FormatError(
      `the ${bytes.length} bytes are not an image format ImageDecoder knows (they start ${head || "with nothing"}; supported: PNG, JPEG, BMP, PNM, TIFF)`,
    );
  }
  if (!format.decode) throw new UnsupportedOpError(`${format.name} images are not supported (supported: PNG, JPEG, BMP, PNM, TIFF)`);
  const image = format.decode(bytes);
  return { shape: [image.height, image.width, pixelFormat === "Grayscale" ? 1 : 3], data: convert(image, pixelFormat) };
}

function convert(image: DecodedImage, pixelFormat: PixelFormat): Uint8Array {
  const n = image.width * image.height;
  const src = image.data;
  if (pixelFormat === "Grayscale") {
    if (image.channels === 1) return src;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (src[3 * i]! * 19595 + src[3 * i + 1]! * 38470 + src[3 * i + 2]! * 7471 + 0x8000) >>> 16;
    return out;
  }
  const out = new Uint8Array(n * 3);
  const bgr = pixelFormat === "BGR";
  for (let i = 0; i < n; i++) {
    const [r, g, b] = image.channels === 1 ? [src[i]!, src[i]!, src[i]!] : [src[3 * i]!, src[3 * i + 1]!, src[3 * i + 2]!];
    out[3 * i] = bgr ? b : r;
    out[3 * i + 1] = g;
    out[3 * i + 2] = bgr ? r : b;
  }
  return out;
}
