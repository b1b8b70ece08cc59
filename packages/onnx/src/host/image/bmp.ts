import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { decodeRle } from "./bmp-rle.ts";
import { ByteReader, checkDimensions, type DecodedImage } from "./image.ts";

/**
 * BMP (Windows bitmap, BITMAPINFOHEADER or later): uncompressed 24- and 32-bit pixels (BI_RGB, and
 * BI_BITFIELDS with the standard 8-bit masks), 1/4/8-bit paletted, bottom-up or top-down rows
 * padded to 4 bytes, and 8/4-bit run-length encoded (BI_RLE8, BI_RLE4). Other masks and 16-bit
 * pixels are refused. Alpha is dropped.
 */
export function decodeBmp(bytes: Uint8Array): DecodedImage {
  const r = new ByteReader(bytes, "BMP");
  const dataOffset = r.u32(10, true, "the pixel data offset");
  const headerSize = r.u32(14, true, "the info header size");
  if (headerSize < 40) throw new UnsupportedOpError(`BMP: OS/2 or core headers (${headerSize} bytes) are not supported`);
  const width = r.i32(18, true);
  const signedHeight = r.i32(22, true);
  const bits = r.u16(28, true);
  const compression = r.u32(30, true);
  const topDown = signedHeight < 0;
  const height = Math.abs(signedHeight);
  checkDimensions("BMP", width, height);
  const rle = (compression === 1 && bits === 8) || (compression === 2 && bits === 4);
  if (compression === 3 && (bits === 32 || bits === 24)) checkStandardMasks(r, headerSize);
  else if (compression !== 0 && !rle)
    throw new UnsupportedOpError(
      `BMP: compression ${compression} (${["BI_RGB", "BI_RLE8", "BI_RLE4", "BI_BITFIELDS"][compression] ?? "unknown"}) with ${bits}-bit pixels is not supported`,
    );
  if (![1, 4, 8, 24, 32].includes(bits)) throw new UnsupportedOpError(`BMP: ${bits}-bit pixels are not supported`);
  const palette = bits <= 8 ? readPalette(r, 14 + headerSize, bits) : undefined;
  if (rle) {
    if (topDown) throw new FormatError("BMP: a run-length encoded bitmap cannot be top-down");
    r.need(dataOffset, 0, "the pixel data");
    return fromIndices(decodeRle(bytes.subarray(dataOffset), width, height, bits === 4), width, height, palette!);
  }
  const stride = Math.ceil((width * bits) / 32) * 4;
  r.need(dataOffset, stride * height, `${width}×${height} ${bits}-bit pixels`);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (palette) {
        const perByte = 8 / bits;
        const byte = bytes[row + Math.floor(x / perByte)]!;
        const index = (byte >> (8 - bits * ((x % perByte) + 1))) & ((1 << bits) - 1);
        if (index * 3 >= palette.length) throw new FormatError(`BMP: palette index ${index} beyond the ${palette.length / 3}-colour palette`);
        data.set(palette.subarray(index * 3, index * 3 + 3), o);
      } else {
        const p = row + x * (bits / 8);
        // Stored B, G, R.
        data[o] = bytes[p + 2]!;
        data[o + 1] = bytes[p + 1]!;
        data[o + 2] = bytes[p]!;
      }
    }
  }
  return { width, height, channels: 3, data };
}

/** The palette as RGB triples (stored B, G, R, reserved). */
function readPalette(r: ByteReader, at: number, bits: number): Uint8Array {
  const declared = r.u32(46, true);
  const count = declared || 1 << bits;
  if (count > 1 << bits) throw new FormatError(`BMP: ${count} palette colours for ${bits}-bit pixels`);
  const raw = r.slice(at, count * 4, "the palette");
  const rgb = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) {
    rgb[3 * i] = raw[4 * i + 2]!;
    rgb[3 * i + 1] = raw[4 * i + 1]!;
    rgb[3 * i + 2] = raw[4 * i]!;
  }
  return rgb;
}

/** BI_BITFIELDS is read as plain BGR(A) bytes only when its masks say exactly that. */
function checkStandardMasks(r: ByteReader, headerSize: number): void {
  // The masks follow a 40-byte header; later headers hold them inside.
  const at = 14 + 40;
  const masks = [r.u32(at, true, "the colour masks"), r.u32(at + 4, true, "the colour masks"), r.u32(at + 8, true, "the colour masks")];
  if (masks[0] !== 0xff0000 || masks[1] !== 0xff00 || masks[2] !== 0xff)
    throw new UnsupportedOpError(
      `BMP: BI_BITFIELDS masks ${masks.map((m) => `0x${m.toString(16)}`).join(", ")} (header ${headerSize} bytes) are not supported (only 0xff0000, 0xff00, 0xff)`,
    );
}

/** Palette indices, bottom row first, as RGB pixels top row first. */
function fromIndices(indices: Uint8Array, width: number, height: number, palette: Uint8Array): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const index = indices[(height - 1 - y) * width + x]!;
      if (index * 3 >= palette.length) throw new FormatError(`BMP: palette index ${index} beyond the ${palette.length / 3}-colour palette`);
      data.set(palette.subarray(index * 3, index * 3 + 3), (y * width + x) * 3);
    }
  return { width, height, channels: 3, data };
}
