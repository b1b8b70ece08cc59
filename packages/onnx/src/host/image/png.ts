import { FormatError } from "@polychip/hal";
import { ByteReader, checkDimensions, type DecodedImage } from "./image.ts";
import { zlibInflate } from "./inflate.ts";

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Samples per pixel of each PNG colour type: gray, RGB, palette, gray+alpha, RGBA. */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/**
 * PNG: every colour type and bit depth, all five row filters, plain or Adam7-interlaced. As
 * Pillow's convert("RGB") does, alpha is dropped (not composited) and a palette maps to its
 * colours; gray stays one channel. 16-bit samples keep their high byte, as Pillow does for colour
 * and as libpng, OpenCV and stb do for gray (Pillow clips 16-bit gray at 255, which turns most of
 * an image white: a deliberate divergence). The CRCs of IHDR and PLTE are checked; corrupt image
 * data is caught by inflate and the size checks.
 */
export function decodePng(bytes: Uint8Array): DecodedImage {
  const r = new ByteReader(bytes, "PNG");
  let pos = 8;
  let header: { width: number; height: number; depth: number; colour: number; interlace: number } | undefined;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (;;) {
    const length = r.u32(pos, false, "a chunk length");
    const type = String.fromCharCode(...r.slice(pos + 4, 4, "a chunk type"));
    const body = r.slice(pos + 8, length, `chunk ${type}`);
    // The chunks that say how to read the pixels are checked, as Pillow checks those before the image data.
    if ((type === "IHDR" || type === "PLTE") && r.u32(pos + 8 + length, false, `chunk ${type}'s CRC`) !== crc32(bytes.subarray(pos + 4, pos + 8 + length)))
      throw new FormatError(`PNG: corrupt file (chunk ${type} fails its CRC check)`);
    r.need(pos + 8 + length, 4, `chunk ${type}'s CRC`);
    pos += 12 + length;
    if (type === "IHDR") {
      if (length < 13) throw new FormatError(`PNG: IHDR chunk of ${length} bytes (13 expected)`);
      const h = new ByteReader(body, "PNG");
      header = { width: h.u32(0, false), height: h.u32(4, false), depth: body[8]!, colour: body[9]!, interlace: body[12]! };
      if (body[10] !== 0 || body[11] !== 0) throw new FormatError(`PNG: unknown compression ${body[10]} or filter method ${body[11]}`);
    } else if (!header) throw new FormatError(`PNG: first chunk is ${type}, not IHDR`);
    else if (type === "PLTE") palette = body;
    else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
  }
  if (!header) throw new FormatError("PNG: no IHDR chunk");
  const { width, height, depth, colour, interlace } = header;
  checkDimensions("PNG", width, height);
  const samples = SAMPLES[colour];
  if (samples === undefined || !DEPTHS[colour]!.includes(depth)) throw new FormatError(`PNG: invalid colour type ${colour} with bit depth ${depth}`);
  if (interlace > 1) throw new FormatError(`PNG: unknown interlace method ${interlace}`);
  if (colour === 3 && !palette) throw new FormatError("PNG: palette image without a PLTE chunk");
  if (idat.length === 0) throw new FormatError("PNG: no IDAT chunk");
  const bitsPerPixel = samples * depth;
  // Each pass (one for a plain image, seven for Adam7) is a small image of its own rows, filtered on its own.
  const passes = (interlace ? ADAM7 : [[0, 0, 1, 1]]).map(([x0, y0, dx, dy]) => {
    const w = Math.ceil((width - x0!) / dx!);
    const h = Math.ceil((height - y0!) / dy!);
    return { x0: x0!, y0: y0!, dx: dx!, dy: dy!, w, h, stride: w > 0 && h > 0 ? Math.ceil((w * bitsPerPixel) / 8) : 0 };
  });
  const size = passes.reduce((n, p) => n + (p.stride ? (p.stride + 1) * p.h : 0), 0);
  const raw = zlibInflate(concat(idat), size, "PNG");
  if (raw.length !== size) throw new FormatError(`PNG: image data holds ${raw.length} bytes, ${size} expected for ${width}×${height} (truncated or corrupt)`);
  const channels = colour === 0 || colour === 4 ? 1 : 3;
  const data = new Uint8Array(width * height * channels);
  let at = 0;
  for (const p of passes) {
    if (!p.stride) continue;
    const rows = unfilter(raw.subarray(at, at + (p.stride + 1) * p.h), p.stride, p.h, Math.max(1, bitsPerPixel >> 3));
    at += (p.stride + 1) * p.h;
    const part = toPixels(rows, p.w, p.h, p.stride, depth, colour, palette);
    for (let y = 0; y < p.h; y++)
      for (let x = 0; x < p.w; x++) {
        const to = ((p.y0 + y * p.dy) * width + p.x0 + x * p.dx) * channels;
        data.set(part.data.subarray((y * p.w + x) * channels, (y * p.w + x + 1) * channels), to);
      }
  }
  return { width, height, channels, data };
}

/** Adam7's seven passes: first column and row, column and row steps. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Undoes the per-row filters (None, Sub, Up, Average, Paeth) into height rows of `stride` bytes. */
function unfilter(raw: Uint8Array, stride: number, height: number, bpp: number): Uint8Array {
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    const up = (x: number) => (y > 0 ? out[row - stride + x]! : 0);
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp]! : 0;
      const b = up(x);
      const c = x >= bpp ? up(x - bpp) : 0;
      let pred: number;
      if (filter === 0) pred = 0;
      else if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new FormatError(`PNG: unknown row filter ${filter} in row ${y}`);
      out[row + x] = (src[x]! + pred) & 0xff;
    }
  }
  return out;
}

/** Sample i of a row (bit depths below 8 pack several per byte, most significant first; 16 keeps the high byte). */
function sample(rows: Uint8Array, rowStart: number, i: number, depth: number): number {
  if (depth === 8) return rows[rowStart + i]!;
  if (depth === 16) return rows[rowStart + 2 * i]!;
  const perByte = 8 / depth;
  const byte = rows[rowStart + Math.floor(i / perByte)]!;
  const shift = 8 - depth * ((i % perByte) + 1);
  return (byte >> shift) & ((1 << depth) - 1);
}

function toPixels(
  rows: Uint8Array,
  width: number,
  height: number,
  stride: number,
  depth: number,
  colour: number,
  palette: Uint8Array | undefined,
): DecodedImage {
  const gray = colour === 0 || colour === 4;
  const channels = gray ? 1 : 3;
  const data = new Uint8Array(width * height * channels);
  const samples = SAMPLES[colour]!;
  // Low bit depths scale to 0..255 as PNG decoders do (1 → 255, 2 → 85 per step, 4 → 17).
  const scale = colour === 0 && depth < 8 ? 255 / ((1 << depth) - 1) : 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (colour === 3) {
        const index = sample(rows, y * stride, x, depth);
        if (3 * index + 2 >= palette!.length) throw new FormatError(`PNG: palette index ${index} beyond the ${palette!.length / 3}-colour palette`);
        data.set(palette!.subarray(3 * index, 3 * index + 3), o);
      } else for (let c = 0; c < channels; c++) data[o + c] = sample(rows, y * stride, x * samples + c, depth) * scale;
    }
  }
  return { width, height, channels, data };
}

let crcTable: Uint32Array | undefined;
/** CRC-32 (ISO 3309, as PNG's chunks use). */
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
