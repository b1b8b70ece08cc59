/** Small encoded image files for the image decoders' tests, written from known pixels. */

const u32be = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const u32le = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const u16le = (v: number) => [v & 255, (v >>> 8) & 255];

/** zlib around DEFLATE stored (uncompressed) blocks of at most 65,535 bytes. */
export function zlibStored(data: Uint8Array): Uint8Array {
  const out: number[] = [0x78, 0x01];
  for (let at = 0; at === 0 || at < data.length; at += 65535) {
    const block = data.subarray(at, at + 65535);
    const last = at + 65535 >= data.length ? 1 : 0;
    out.push(last, ...u16le(block.length), ...u16le(block.length ^ 0xffff), ...block);
  }
  let a = 1;
  let b = 0;
  for (const v of data) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  out.push(...u32be(((b << 16) | a) >>> 0));
  return Uint8Array.from(out);
}

function crc32(bytes: ArrayLike<number>): number {
  let c = ~0;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, body: ArrayLike<number>): number[] {
  const typed = [...Array.from(type, (c) => c.charCodeAt(0)), ...Array.from(body)];
  return [...u32be(body.length), ...typed, ...u32be(crc32(typed))];
}

/** One row filtered with PNG filter `f` (the encoder's side of png.ts's unfilter). */
function filterRow(f: number, row: Uint8Array, prev: Uint8Array | undefined, bpp: number): number[] {
  return Array.from(row, (x, i) => {
    const a = i >= bpp ? row[i - bpp]! : 0;
    const b = prev ? prev[i]! : 0;
    const c = prev && i >= bpp ? prev[i - bpp]! : 0;
    const p = a + b - c;
    const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
    const pred = [0, a, b, (a + b) >> 1, paeth][f]!;
    return (x - pred) & 255;
  });
}

export interface PngSpec {
  width: number;
  height: number;
  colour: number;
  depth: number;
  /** Raw (packed) bytes of each row. */
  rows: Uint8Array[];
  /** The filter of each row (cycled); None by default. */
  filters?: number[];
  palette?: number[];
  interlace?: number;
}

/** A PNG whose image data is zlibStored(filtered rows). */
export function pngFile(s: PngSpec): Uint8Array {
  const bpp = Math.max(1, (s.depth * ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[s.colour]!) >> 3);
  const raw: number[] = [];
  s.rows.forEach((row, y) => {
    const f = s.filters ? s.filters[y % s.filters.length]! : 0;
    raw.push(f, ...filterRow(f, row, s.rows[y - 1], bpp));
  });
  return Uint8Array.from([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk("IHDR", [...u32be(s.width), ...u32be(s.height), s.depth, s.colour, 0, 0, s.interlace ?? 0]),
    ...(s.palette ? chunk("PLTE", s.palette) : []),
    ...chunk("IDAT", zlibStored(Uint8Array.from(raw))),
    ...chunk("IEND", []),
  ]);
}

/** A BMP of RGB pixels (row-major, top row first) as 24- or 32-bit BGR(A), bottom-up unless topDown. */
export function bmpFile(width: number, height: number, rgb: ArrayLike<number>, bits: 24 | 32 = 24, topDown = false): Uint8Array {
  const stride = Math.ceil((width * bits) / 32) * 4;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (topDown ? y : height - 1 - y) * stride + (x * bits) / 8;
      const i = (y * width + x) * 3;
      pixels.set([rgb[i + 2]!, rgb[i + 1]!, rgb[i]!], o);
      if (bits === 32) pixels[o + 3] = 255;
    }
  return bmpWith(width, topDown ? -height : height, bits, [], pixels);
}

/** A BMP from its parts: a BITMAPINFOHEADER, `palette` (B, G, R, 0 per colour) and the pixel bytes. */
export function bmpWith(width: number, signedHeight: number, bits: number, palette: number[], pixels: Uint8Array, compression = 0): Uint8Array {
  const offset = 14 + 40 + palette.length;
  const info = [
    ...u32le(40),
    ...u32le(width),
    ...u32le(signedHeight >>> 0),
    ...u16le(1),
    ...u16le(bits),
    ...u32le(compression),
    ...u32le(pixels.length),
    ...u32le(2835),
    ...u32le(2835),
    ...u32le(palette.length / 4),
    ...u32le(0),
  ];
  return Uint8Array.from([0x42, 0x4d, ...u32le(offset + pixels.length), 0, 0, 0, 0, ...u32le(offset), ...info, ...palette, ...pixels]);
}

/** A little-endian baseline TIFF with one strip per `strips` entry (already compressed as `compression` says). */
export function tiffFile(
  width: number,
  height: number,
  samples: number,
  photometric: number,
  strips: Uint8Array[],
  compression = 1,
  rowsPerStrip = height,
  extra: [number, number, number[]][] = [],
): Uint8Array {
  const dataStart = 8;
  const offsets: number[] = [];
  let at = dataStart;
  for (const s of strips) {
    offsets.push(at);
    at += s.length;
  }
  // [tag, type (3 SHORT, 4 LONG), values]
  const entries: [number, number, number[]][] = [
    [256, 4, [width]],
    [257, 4, [height]],
    [258, 3, Array(samples).fill(8)],
    [259, 3, [compression]],
    [262, 3, [photometric]],
    [273, 4, offsets],
    [277, 3, [samples]],
    [278, 4, [rowsPerStrip]],
    [279, 4, strips.map((s) => s.length)],
    ...extra,
  ].sort((a, b) => (a[0] as number) - (b[0] as number)) as [number, number, number[]][];
  const ifd = at;
  const valuesAt = ifd + 2 + 12 * entries.length + 4;
  const body: number[] = [...u16le(entries.length)];
  const values: number[] = [];
  for (const [tag, type, vs] of entries) {
    const bytes = vs.flatMap((v) => (type === 3 ? u16le(v) : u32le(v)));
    body.push(...u16le(tag), ...u16le(type), ...u32le(vs.length));
    if (bytes.length <= 4) body.push(...bytes, ...Array(4 - bytes.length).fill(0));
    else {
      body.push(...u32le(valuesAt + values.length));
      values.push(...bytes);
    }
  }
  body.push(...u32le(0));
  return Uint8Array.from([0x49, 0x49, 42, 0, ...u32le(ifd), ...strips.flatMap((s) => Array.from(s)), ...body, ...values]);
}
