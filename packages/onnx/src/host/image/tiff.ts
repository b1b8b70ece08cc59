import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { ByteReader, checkDimensions, type DecodedImage } from "./image.ts";
import { zlibInflate } from "./inflate.ts";

const COMPRESSION_NAMES: Record<number, string> = {
  2: "CCITT RLE",
  3: "CCITT G3",
  4: "CCITT G4",
  6: "old JPEG",
  7: "JPEG",
  34712: "JPEG 2000",
  50000: "Zstandard",
  34925: "LZMA",
};
const DEFLATE = [8, 32946];

/**
 * Baseline TIFF, first image only: 8-bit chunky (interleaved) gray (BlackIsZero, WhiteIsZero), RGB
 * and palette images with extra samples (alpha, dropped), in strips that are uncompressed, PackBits,
 * LZW or Deflate (with or without the horizontal predictor). Tiles, planar data, other bit depths and other
 * compressions are refused.
 */
export function decodeTiff(bytes: Uint8Array): DecodedImage {
  const r = new ByteReader(bytes, "TIFF");
  const le = bytes[0] === 0x49;
  if (r.u16(2, le) !== 42) throw new UnsupportedOpError("TIFF: BigTIFF and other variants are not supported");
  const tags = readIfd(r, le, r.u32(4, le, "the first IFD offset"));
  const one = (tag: number, fallback?: number): number => {
    const v = tags.get(tag)?.[0] ?? fallback;
    if (v === undefined) throw new FormatError(`TIFF: required tag ${tag} is missing`);
    return v;
  };
  const width = one(256);
  const height = one(257);
  checkDimensions("TIFF", width, height);
  const compression = one(259, 1);
  const photometric = one(262);
  const samples = one(277, 1);
  const bits = tags.get(258) ?? [1];
  const planar = one(284, 1);
  const predictor = one(317, 1);
  if (tags.has(322)) throw new UnsupportedOpError("TIFF: tiled images are not supported");
  if (![1, 5, 32773, ...DEFLATE].includes(compression))
    throw new UnsupportedOpError(
      `TIFF: compression ${compression}${COMPRESSION_NAMES[compression] ? ` (${COMPRESSION_NAMES[compression]})` : ""} is not supported (only none, LZW, PackBits, Deflate)`,
    );
  if (bits.some((b) => b !== 8)) throw new UnsupportedOpError(`TIFF: ${bits.join("/")}-bit samples are not supported (only 8-bit)`);
  if (planar !== 1 && samples > 1) throw new UnsupportedOpError("TIFF: planar (separate) sample layout is not supported");
  if (predictor !== 1 && predictor !== 2) throw new UnsupportedOpError(`TIFF: predictor ${predictor} is not supported`);
  const colourSamples = photometric === 2 ? 3 : 1;
  if (![0, 1, 2, 3].includes(photometric))
    throw new UnsupportedOpError(`TIFF: photometric interpretation ${photometric} is not supported (only gray, RGB, palette)`);
  if (samples < colourSamples) throw new FormatError(`TIFF: ${samples} samples per pixel for photometric interpretation ${photometric}`);
  const offsets = tags.get(273);
  const counts = tags.get(279);
  if (!offsets || !counts || offsets.length !== counts.length) throw new FormatError("TIFF: missing or mismatched strip offsets and byte counts");
  const rowsPerStrip = Math.min(one(278, height), height);
  const stride = width * samples;
  const pixels = new Uint8Array(stride * height);
  offsets.forEach((offset, s) => {
    const rows = Math.min(rowsPerStrip, height - s * rowsPerStrip);
    if (rows <= 0) return;
    const size = rows * stride;
    const raw = r.slice(offset, counts[s]!, `strip ${s}`);
    const strip =
      compression === 1
        ? raw.slice()
        : compression === 5
          ? lzw(raw, size)
          : DEFLATE.includes(compression)
            ? zlibInflate(raw, size, "TIFF").slice()
            : packBits(raw, size);
    if (strip.length < size) throw new FormatError(`TIFF: strip ${s} holds ${strip.length} bytes, ${size} expected (truncated or corrupt)`);
    if (predictor === 2)
      for (let y = 0; y < rows; y++)
        for (let x = samples; x < stride; x++) strip[y * stride + x] = (strip[y * stride + x]! + strip[y * stride + x - samples]!) & 0xff;
    pixels.set(strip.subarray(0, size), s * rowsPerStrip * stride);
  });
  const coveredRows = Math.min(height, offsets.length * rowsPerStrip);
  if (coveredRows < height) throw new FormatError(`TIFF: strips cover ${coveredRows} of ${height} rows`);
  return toPixels(pixels, width, height, samples, photometric, tags.get(320));
}

/** The first IFD's tags with their values (SHORT, LONG and BYTE values only: the baseline tags need no others). */
function readIfd(r: ByteReader, le: boolean, at: number): Map<number, number[]> {
  const count = r.u16(at, le, "the IFD entry count");
  const tags = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const e = at + 2 + 12 * i;
    const tag = r.u16(e, le, "an IFD entry");
    const type = r.u16(e + 2, le);
    const n = r.u32(e + 4, le);
    const size = type === 3 ? 2 : type === 4 ? 4 : type === 1 ? 1 : 0;
    if (size === 0) continue;
    const where = n * size <= 4 ? e + 8 : r.u32(e + 8, le);
    r.need(where, n * size, `tag ${tag}'s values`);
    tags.set(
      tag,
      Array.from({ length: n }, (_, k) => (size === 1 ? r.u8(where + k) : size === 2 ? r.u16(where + 2 * k, le) : r.u32(where + 4 * k, le))),
    );
  }
  return tags;
}

function toPixels(pixels: Uint8Array, width: number, height: number, samples: number, photometric: number, colormap: number[] | undefined): DecodedImage {
  const n = width * height;
  if (photometric === 2) {
    const data = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) data.set(pixels.subarray(i * samples, i * samples + 3), i * 3);
    return { width, height, channels: 3, data };
  }
  if (photometric === 3) {
    if (!colormap || colormap.length !== 3 * 256) throw new FormatError("TIFF: palette image without a 256-entry ColorMap");
    const data = new Uint8Array(n * 3);
    // ColorMap holds all reds, then greens, then blues, as 16-bit values.
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = colormap[c * 256 + pixels[i * samples]!]! >> 8;
    return { width, height, channels: 3, data };
  }
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = photometric === 0 ? 255 - pixels[i * samples]! : pixels[i * samples]!;
  return { width, height, channels: 1, data };
}

/** PackBits (Apple RLE) into at most `size` bytes. */
export function packBits(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let n = 0;
  for (let i = 0; i < src.length && n < size; ) {
    const h = (src[i++]! << 24) >> 24;
    if (h >= 0) {
      const k = Math.min(h + 1, size - n, src.length - i);
      out.set(src.subarray(i, i + k), n);
      n += k;
      i += h + 1;
    } else if (h !== -128) {
      if (i >= src.length) break;
      const k = Math.min(1 - h, size - n);
      out.fill(src[i++]!, n, n + k);
      n += k;
    }
  }
  return out.subarray(0, n);
}

/** TIFF's LZW (MSB-first codes, early change) into at most `size` bytes. */
export function lzw(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let n = 0;
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let i = 0; i < 256; i++) {
    suffix[i] = i;
    length[i] = 1;
    prefix[i] = -1;
  }
  let next = 258;
  let width = 9;
  let bitPos = 0;
  let previous = -1;
  const read = (): number => {
    if (bitPos + width > src.length * 8) return 257;
    let v = 0;
    for (let k = 0; k < width; k++, bitPos++) v = (v << 1) | ((src[bitPos >> 3]! >> (7 - (bitPos & 7))) & 1);
    return v;
  };
  /** Writes code's string; returns its first byte. */
  const emit = (code: number): number => {
    const len = length[code]!;
    let c = code;
    for (let k = len - 1; k >= 0; k--) {
      if (n + k < size) out[n + k] = suffix[c]!;
      if (k === 0) break;
      c = prefix[c]!;
    }
    n = Math.min(size, n + len);
    return suffix[c]!;
  };
  for (;;) {
    const code = read();
    if (code === 257) break;
    if (code === 256) {
      next = 258;
      width = 9;
      previous = -1;
      continue;
    }
    if (previous < 0) {
      if (code > 255) throw new FormatError(`TIFF: corrupt LZW data (first code ${code})`);
      emit(code);
    } else if (code < next) {
      const first = emit(code);
      add(previous, first);
    } else if (code === next) {
      const first = firstByte(previous);
      add(previous, first);
      emit(code);
    } else throw new FormatError(`TIFF: corrupt LZW data (code ${code} beyond the table's ${next})`);
    previous = code;
    if (n >= size) break;
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  return out.subarray(0, n);

  function add(p: number, byte: number): void {
    if (next >= 4096) throw new FormatError("TIFF: corrupt LZW data (table overflow)");
    prefix[next] = p;
    suffix[next] = byte;
    length[next] = length[p]! + 1;
    next++;
  }
  function firstByte(code: number): number {
    let c = code;
    while (prefix[c]! >= 0) c = prefix[c]!;
    return suffix[c]!;
  }
}
