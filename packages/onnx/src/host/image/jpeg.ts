import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { ByteReader, checkDimensions, type DecodedImage } from "./image.ts";
import { interleave, ratio, upsample, yccToRgb, type Plane } from "./jpeg-color.ts";
import {
  buildHuffmanTable,
  decodeAcFirst,
  decodeAcRefine,
  decodeBaselineBlock,
  decodeDcFirst,
  decodeDcRefine,
  JpegBitReader,
  ZIGZAG,
  type HuffmanTable,
  type ScanState,
} from "./jpeg-entropy.ts";
import { idctIslow } from "./jpeg-idct.ts";

interface Component {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly tq: number;
  /** Blocks the component's samples cover, and the (larger) count its MCUs hold. */
  readonly blocksPerLine: number;
  readonly blocksPerColumn: number;
  readonly blocksPerLineForMcu: number;
  readonly blocksPerColumnForMcu: number;
  /** 64 coefficients per block (natural order), blocksPerLineForMcu × blocksPerColumnForMcu blocks; 16-bit as libjpeg's JCOEF. */
  readonly coef: Int16Array;
  /** The real sample size (libjpeg's downsampled_width/height). */
  readonly width: number;
  readonly height: number;
  dcTable?: HuffmanTable;
  acTable?: HuffmanTable;
  pred: number;
}

interface Frame {
  readonly progressive: boolean;
  readonly width: number;
  readonly height: number;
  readonly components: Component[];
  readonly maxH: number;
  readonly maxV: number;
  readonly mcusPerLine: number;
  readonly mcusPerColumn: number;
}

const SOF_NAMES: Record<number, string> = {
  0xc3: "lossless",
  0xc5: "differential sequential",
  0xc6: "differential progressive",
  0xc7: "differential lossless",
  0xc9: "arithmetic-coded sequential",
  0xca: "arithmetic-coded progressive",
  0xcb: "arithmetic-coded lossless",
  0xcd: "differential arithmetic-coded sequential",
  0xce: "differential arithmetic-coded progressive",
  0xcf: "differential arithmetic-coded lossless",
};

/**
 * JPEG (JFIF/Exif): baseline and extended sequential and progressive Huffman-coded, 8-bit, gray or
 * three components (YCbCr, or RGB when an Adobe marker or the component ids say so), decoded as
 * libjpeg(-turbo) decodes by default — islow IDCT, fancy upsampling, integer YCbCr tables — so
 * that the pixels equal Pillow's (ONNX's reference). Arithmetic coding, lossless, 12-bit and
 * CMYK/YCCK files are refused; so are truncated files (as Pillow does by default).
 */
export function decodeJpeg(bytes: Uint8Array): DecodedImage {
  const r = new ByteReader(bytes, "JPEG");
  const quant: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let frame: Frame | undefined;
  let restartInterval = 0;
  let adobeTransform: number | undefined;
  let jfif = false;
  let pos = 2;
  for (;;) {
    // Bytes before a marker that are not one (padding after a scan, a stuffed zero) are skipped, as
    // libjpeg's next_marker skips them (with a warning Pillow ignores); so are 0xFF fill bytes.
    while (pos < bytes.length && (bytes[pos] !== 0xff || bytes[pos + 1] === 0xff || bytes[pos + 1] === 0)) pos++;
    if (pos >= bytes.length - 1) throw new FormatError("JPEG: truncated file (no EOI marker)");
    const marker = bytes[pos + 1]!;
    pos += 2;
    if (marker === 0xd9) break;
    if (marker >= 0xd0 && marker <= 0xd7) continue;
    const length = r.u16(pos, false, "a segment length");
    if (length < 2) throw new FormatError(`JPEG: corrupt segment length ${length}`);
    const body = r.slice(pos + 2, length - 2, `segment ${marker.toString(16).toUpperCase()}`);
    const b = new ByteReader(body, "JPEG");
    pos += length;
    if (marker === 0xdb) readQuantTables(b, quant);
    else if (marker === 0xc4) readHuffmanTables(b, dcTables, acTables);
    else if (marker === 0xdd) restartInterval = b.u16(0, false);
    else if (marker === 0xe0 && String.fromCharCode(...body.subarray(0, 4)) === "JFIF") jfif = true;
    else if (marker === 0xee && String.fromCharCode(...body.subarray(0, 5)) === "Adobe") adobeTransform = b.u8(11, "the Adobe transform");
    else if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (frame) throw new UnsupportedOpError("JPEG: files with more than one frame are not supported");
      frame = readFrame(b, marker === 0xc2);
    } else if (SOF_NAMES[marker])
      throw new UnsupportedOpError(`JPEG: ${SOF_NAMES[marker]} JPEG is not supported (only Huffman-coded baseline, extended and progressive)`);
    else if (marker === 0xda) {
      if (!frame) throw new FormatError("JPEG: a scan before the frame header");
      pos = decodeScan(bytes, pos, b, frame, dcTables, acTables, restartInterval);
    }
  }
  if (!frame) throw new FormatError("JPEG: no frame header (SOF)");
  return toImage(frame, quant, colourTransform(frame, jfif, adobeTransform));
}

function readQuantTables(b: ByteReader, quant: (Uint16Array | undefined)[]): void {
  for (let at = 0; at < b.bytes.length; ) {
    const pq = b.u8(at) >> 4;
    const tq = b.u8(at) & 15;
    if (pq > 1 || tq > 3) throw new FormatError(`JPEG: corrupt quantisation table header (precision ${pq}, slot ${tq})`);
    const table = new Uint16Array(64);
    for (let k = 0; k < 64; k++) table[ZIGZAG[k]!] = pq ? b.u16(at + 1 + 2 * k, false, "a quantisation table") : b.u8(at + 1 + k, "a quantisation table");
    quant[tq] = table;
    at += 1 + 64 * (pq + 1);
  }
}

function readHuffmanTables(b: ByteReader, dc: (HuffmanTable | undefined)[], ac: (HuffmanTable | undefined)[]): void {
  for (let at = 0; at < b.bytes.length; ) {
    const tc = b.u8(at) >> 4;
    const th = b.u8(at) & 15;
    if (tc > 1 || th > 3) throw new FormatError(`JPEG: corrupt Huffman table header (class ${tc}, slot ${th})`);
    const counts = b.slice(at + 1, 16, "a Huffman table");
    const total = counts.reduce((s, c) => s + c, 0);
    const symbols = b.slice(at + 17, total, "a Huffman table").slice();
    (tc === 0 ? dc : ac)[th] = buildHuffmanTable(counts, symbols);
    at += 17 + total;
  }
}

function readFrame(b: ByteReader, progressive: boolean): Frame {
  const precision = b.u8(0, "the frame header");
  const height = b.u16(1, false, "the frame header");
  const width = b.u16(3, false, "the frame header");
  const count = b.u8(5, "the frame header");
  if (precision !== 8) throw new UnsupportedOpError(`JPEG: ${precision}-bit samples are not supported (only 8-bit)`);
  if (height === 0) throw new UnsupportedOpError("JPEG: a height given later by a DNL marker is not supported");
  checkDimensions("JPEG", width, height);
  if (count !== 1 && count !== 3)
    throw new UnsupportedOpError(`JPEG: ${count}-component images (CMYK, YCCK) are not supported (only gray and 3-component colour)`);
  const specs = Array.from({ length: count }, (_, i) => ({
    id: b.u8(6 + 3 * i, "a component spec"),
    h: b.u8(7 + 3 * i, "a component spec") >> 4,
    v: b.u8(7 + 3 * i) & 15,
    tq: b.u8(8 + 3 * i, "a component spec"),
  }));
  if (specs.some((s) => s.h < 1 || s.h > 4 || s.v < 1 || s.v > 4 || s.tq > 3)) throw new FormatError("JPEG: corrupt component sampling factors or table slot");
  const maxH = Math.max(...specs.map((s) => s.h));
  const maxV = Math.max(...specs.map((s) => s.v));
  const mcusPerLine = Math.ceil(width / (8 * maxH));
  const mcusPerColumn = Math.ceil(height / (8 * maxV));
  const components = specs.map((s) => {
    const cw = Math.ceil((width * s.h) / maxH);
    const ch = Math.ceil((height * s.v) / maxV);
    const blocksPerLineForMcu = mcusPerLine * s.h;
    const blocksPerColumnForMcu = mcusPerColumn * s.v;
    return {
      ...s,
      width: cw,
      height: ch,
      blocksPerLine: Math.ceil(cw / 8),
      blocksPerColumn: Math.ceil(ch / 8),
      blocksPerLineForMcu,
      blocksPerColumnForMcu,
      coef: new Int16Array(64 * blocksPerLineForMcu * blocksPerColumnForMcu),
      pred: 0,
    };
  });
  return { progressive, width, height, components, maxH, maxV, mcusPerLine, mcusPerColumn };
}

/** Decodes one scan (its header in `b`, its data from `pos`); returns where the next marker starts. */
function decodeScan(
  bytes: Uint8Array,
  pos: number,
  b: ByteReader,
  frame: Frame,
  dcTables: readonly (HuffmanTable | undefined)[],
  acTables: readonly (HuffmanTable | undefined)[],
  restartInterval: number,
): number {
  const count = b.u8(0, "the scan header");
  const comps = Array.from({ length: count }, (_, i) => {
    const id = b.u8(1 + 2 * i, "the scan header");
    const c = frame.components.find((c) => c.id === id);
    if (!c) throw new FormatError(`JPEG: a scan names component ${id}, which the frame does not have`);
    const t = b.u8(2 + 2 * i, "the scan header");
    c.dcTable = dcTables[t >> 4];
    c.acTable = acTables[t & 15];
    c.pred = 0;
    return c;
  });
  const at = 1 + 2 * count;
  const state: ScanState = { ss: b.u8(at, "the scan header"), se: b.u8(at + 1, "the scan header"), ah: b.u8(at + 2) >> 4, al: b.u8(at + 2) & 15, eobrun: 0 };
  if (count < 1 || count > 4) throw new FormatError(`JPEG: a scan of ${count} components`);
  if (frame.progressive) {
    if (state.se > 63 || state.ss > state.se || (state.ss === 0 && state.se !== 0) || (state.ss > 0 && count !== 1) || state.al > 13)
      throw new FormatError(`JPEG: invalid progressive scan (Ss ${state.ss}, Se ${state.se}, Ah ${state.ah}, Al ${state.al}, ${count} components)`);
  }
  const decodeBlock = blockDecoder(frame.progressive, state);
  const r = new JpegBitReader(bytes, pos);
  const single = count === 1;
  const c0 = comps[0]!;
  const total = single ? c0.blocksPerLine * c0.blocksPerColumn : frame.mcusPerLine * frame.mcusPerColumn;
  let restarts = 0;
  for (let n = 0; n < total; n++) {
    if (restartInterval && n > 0 && n % restartInterval === 0) {
      r.restart(restarts++ & 7);
      for (const c of comps) c.pred = 0;
      state.eobrun = 0;
    }
    if (single) {
      const row = Math.floor(n / c0.blocksPerLine);
      const col = n % c0.blocksPerLine;
      decodeBlock(r, c0, 64 * (row * c0.blocksPerLineForMcu + col));
      continue;
    }
    const mcuRow = Math.floor(n / frame.mcusPerLine);
    const mcuCol = n % frame.mcusPerLine;
    for (const c of comps)
      for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) decodeBlock(r, c, 64 * ((mcuRow * c.v + v) * c.blocksPerLineForMcu + mcuCol * c.h + h));
  }
  return r.end();
}

type BlockDecoder = (r: JpegBitReader, c: Component, at: number) => void;

function blockDecoder(progressive: boolean, s: ScanState): BlockDecoder {
  if (!progressive) return (r, c, at) => (c.pred = decodeBaselineBlock(r, c.dcTable, c.acTable, c.pred, c.coef, at));
  if (s.ss === 0)
    return s.ah === 0 ? (r, c, at) => (c.pred = decodeDcFirst(r, c.dcTable, c.pred, c.coef, at, s.al)) : (r, c, at) => decodeDcRefine(r, c.coef, at, s.al);
  return s.ah === 0 ? (r, c, at) => decodeAcFirst(r, c.acTable, s, c.coef, at) : (r, c, at) => decodeAcRefine(r, c.acTable, s, c.coef, at);
}

type ColourTransform = "gray" | "ycc" | "rgb";

/** As libjpeg guesses the colour space of 3 components: Adobe's transform flag, else JFIF, else the ids 'R','G','B'. */
function colourTransform(frame: Frame, jfif: boolean, adobe: number | undefined): ColourTransform {
  if (frame.components.length === 1) return "gray";
  if (adobe !== undefined) return adobe === 0 ? "rgb" : "ycc";
  if (jfif) return "ycc";
  const ids = frame.components.map((c) => c.id).join(",");
  return ids === "82,71,66" ? "rgb" : "ycc";
}

function toImage(frame: Frame, quant: readonly (Uint16Array | undefined)[], transform: ColourTransform): DecodedImage {
  const { width, height } = frame;
  const planes = frame.components.map((c): Plane => {
    const q = quant[c.tq];
    if (!q) throw new FormatError(`JPEG: component ${c.id} uses quantisation table ${c.tq}, which was never defined`);
    const pitch = c.blocksPerLineForMcu * 8;
    const data = new Uint8Array(pitch * c.blocksPerColumnForMcu * 8);
    for (let row = 0; row < c.blocksPerColumnForMcu; row++)
      for (let col = 0; col < c.blocksPerLineForMcu; col++)
        idctIslow(c.coef, 64 * (row * c.blocksPerLineForMcu + col), q, data, row * 8 * pitch + col * 8, pitch);
    const plane = { data, pitch, width: c.width, height: c.height };
    const hx = ratio(frame.maxH, c.h, "horizontal");
    const vy = ratio(frame.maxV, c.v, "vertical");
    return upsample(plane, hx, vy, width, height);
  });
  if (transform === "gray") {
    const p = planes[0]!;
    const data = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) data.set(p.data.subarray(y * p.pitch, y * p.pitch + width), y * width);
    return { width, height, channels: 1, data };
  }
  const data = transform === "ycc" ? yccToRgb(planes[0]!, planes[1]!, planes[2]!, width, height) : interleave(planes, width, height);
  return { width, height, channels: 3, data };
}
