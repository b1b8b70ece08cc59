import { FormatError } from "@polychip/hal";

/** A decoded image: `channels` (1 gray or 3 RGB) interleaved bytes per pixel, rows top to bottom. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/** The largest image the decoders accept (pixels): a header claiming more is refused before any allocation. */
export const MAX_IMAGE_PIXELS = 1 << 26;

/** Refuses a header's dimensions that are not positive integers or exceed MAX_IMAGE_PIXELS. */
export function checkDimensions(format: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new FormatError(`${format}: invalid image size ${width}×${height}`);
  if (width * height > MAX_IMAGE_PIXELS) throw new FormatError(`${format}: image of ${width}×${height} pixels exceeds the limit of ${MAX_IMAGE_PIXELS} pixels`);
}

/**
 * Bounds-checked reads from an encoded file: a read past the end is a truncated file, refused with
 * the format's name instead of reading undefined as 0.
 */
export class ByteReader {
  constructor(
    readonly bytes: Uint8Array,
    readonly format: string,
  ) {}

  need(offset: number, count: number, what: string): void {
    if (offset < 0 || count < 0 || offset + count > this.bytes.length)
      throw new FormatError(`${this.format}: truncated file (${what} needs bytes ${offset}..${offset + count} of ${this.bytes.length})`);
  }

  u8(offset: number, what = "a byte"): number {
    this.need(offset, 1, what);
    return this.bytes[offset]!;
  }

  u16(offset: number, littleEndian: boolean, what = "a 16-bit field"): number {
    this.need(offset, 2, what);
    const [a, b] = [this.bytes[offset]!, this.bytes[offset + 1]!];
    return littleEndian ? a | (b << 8) : (a << 8) | b;
  }

  u32(offset: number, littleEndian: boolean, what = "a 32-bit field"): number {
    this.need(offset, 4, what);
    const b = this.bytes;
    const v = littleEndian
      ? b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)
      : (b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!;
    return v >>> 0;
  }

  i32(offset: number, littleEndian: boolean, what = "a 32-bit field"): number {
    return this.u32(offset, littleEndian, what) | 0;
  }

  slice(offset: number, count: number, what: string): Uint8Array {
    this.need(offset, count, what);
    return this.bytes.subarray(offset, offset + count);
  }
}
