import { FormatError } from "@polychip/hal";

/** Position k of the zigzag scan → index in the 8×8 block (natural order). */
export const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22,
  15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

/** A Huffman table in libjpeg's form: per code length, the largest code, the first code and where its symbols start. */
export interface HuffmanTable {
  readonly maxCode: Int32Array;
  readonly minCode: Int32Array;
  readonly valPtr: Int32Array;
  readonly symbols: Uint8Array;
}

export function buildHuffmanTable(counts: ArrayLike<number>, symbols: Uint8Array): HuffmanTable {
  const maxCode = new Int32Array(18).fill(-1);
  const minCode = new Int32Array(17);
  const valPtr = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    valPtr[len] = k;
    minCode[len] = code;
    code += counts[len - 1]!;
    k += counts[len - 1]!;
    if (counts[len - 1]) maxCode[len] = code - 1;
    if (code > 1 << len) throw new FormatError("JPEG: corrupt Huffman table (too many codes)");
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { maxCode, minCode, valPtr, symbols };
}

/**
 * Reads the entropy-coded segment of a scan bit by bit, undoing 0xFF00 stuffing. A marker or the
 * end of the file where data should be means a truncated or corrupt file: refused (as Pillow
 * refuses truncated files), never filled with zeros.
 */
export class JpegBitReader {
  private bitBuffer = 0;
  private bitCount = 0;

  constructor(
    readonly data: Uint8Array,
    public pos: number,
  ) {}

  bit(): number {
    if (this.bitCount === 0) {
      if (this.pos >= this.data.length) throw new FormatError("JPEG: truncated file (the entropy-coded data ends early)");
      const b = this.data[this.pos]!;
      if (b === 0xff) {
        const next = this.data[this.pos + 1];
        if (next === undefined) throw new FormatError("JPEG: truncated file (the entropy-coded data ends early)");
        if (next !== 0) throw new FormatError(`JPEG: corrupt or truncated data (marker ${next.toString(16).toUpperCase()} inside the entropy-coded data)`);
        this.pos += 2;
      } else this.pos++;
      this.bitBuffer = b;
      this.bitCount = 8;
    }
    this.bitCount--;
    return (this.bitBuffer >> this.bitCount) & 1;
  }

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }

  /** n bits as a signed value (JPEG's EXTEND). */
  receiveExtend(n: number): number {
    if (n === 0) return 0;
    if (n > 16) throw new FormatError(`JPEG: corrupt data (a ${n}-bit coefficient)`);
    const v = this.bits(n);
    return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
  }

  decode(t: HuffmanTable | undefined): number {
    if (!t) throw new FormatError("JPEG: a scan uses a Huffman table that was never defined");
    let code = this.bit();
    let len = 1;
    while (code > t.maxCode[len]!) {
      code = (code << 1) | this.bit();
      if (++len > 16) throw new FormatError("JPEG: corrupt data (invalid Huffman code)");
    }
    const at = t.valPtr[len]! + code - t.minCode[len]!;
    if (at >= t.symbols.length) throw new FormatError("JPEG: corrupt data (invalid Huffman code)");
    return t.symbols[at]!;
  }

  /** At a restart marker: drops the partial byte and reads RSTn, which must be `expected`. */
  restart(expected: number): void {
    this.bitCount = 0;
    const [a, b] = [this.data[this.pos], this.data[this.pos + 1]];
    if (a === undefined || b === undefined) throw new FormatError("JPEG: truncated file (a restart marker is missing)");
    if (a !== 0xff || b !== 0xd0 + expected)
      throw new FormatError(`JPEG: corrupt data (restart marker RST${expected} expected at byte ${this.pos}, found ${a.toString(16)} ${b.toString(16)})`);
    this.pos += 2;
  }

  /** Where the marker after the scan starts (the partial byte dropped). */
  end(): number {
    this.bitCount = 0;
    return this.pos;
  }
}

/** The coefficient decoders of one block for each kind of scan; `coef` holds 64 values from `at` in natural order. */
export interface ScanState {
  readonly ss: number;
  readonly se: number;
  readonly ah: number;
  readonly al: number;
  eobrun: number;
}

export function decodeBaselineBlock(
  r: JpegBitReader,
  dc: HuffmanTable | undefined,
  ac: HuffmanTable | undefined,
  pred: number,
  coef: Int16Array,
  at: number,
): number {
  const t = r.decode(dc);
  const value = pred + r.receiveExtend(t);
  coef[at] = value;
  for (let k = 1; k < 64; ) {
    const rs = r.decode(ac);
    const s = rs & 15;
    const run = rs >> 4;
    if (s === 0) {
      if (run < 15) break;
      k += 16;
      continue;
    }
    k += run;
    if (k > 63) throw new FormatError("JPEG: corrupt data (coefficient index beyond 63)");
    coef[at + ZIGZAG[k]!] = r.receiveExtend(s);
    k++;
  }
  return value;
}

export function decodeDcFirst(r: JpegBitReader, dc: HuffmanTable | undefined, pred: number, coef: Int16Array, at: number, al: number): number {
  const value = pred + r.receiveExtend(r.decode(dc));
  coef[at] = value * 2 ** al;
  return value;
}

export function decodeDcRefine(r: JpegBitReader, coef: Int16Array, at: number, al: number): void {
  if (r.bit()) coef[at]! |= 1 << al;
}

export function decodeAcFirst(r: JpegBitReader, ac: HuffmanTable | undefined, s: ScanState, coef: Int16Array, at: number): void {
  if (s.eobrun > 0) {
    s.eobrun--;
    return;
  }
  for (let k = s.ss; k <= s.se; k++) {
    const rs = r.decode(ac);
    const size = rs & 15;
    const run = rs >> 4;
    if (size) {
      k += run;
      if (k > 63) throw new FormatError("JPEG: corrupt data (coefficient index beyond 63)");
      coef[at + ZIGZAG[k]!] = r.receiveExtend(size) * 2 ** s.al;
    } else if (run === 15) k += 15;
    else {
      s.eobrun = (1 << run) - 1 + (run ? r.bits(run) : 0);
      break;
    }
  }
}

/** Successive approximation of AC coefficients, as libjpeg's decode_mcu_AC_refine. */
export function decodeAcRefine(r: JpegBitReader, ac: HuffmanTable | undefined, s: ScanState, coef: Int16Array, at: number): void {
  const p1 = 1 << s.al;
  const m1 = -1 << s.al;
  const refine = (i: number) => {
    if (r.bit() && (coef[i]! & p1) === 0) coef[i]! += coef[i]! >= 0 ? p1 : m1;
  };
  let k = s.ss;
  if (s.eobrun === 0) {
    for (; k <= s.se; k++) {
      const rs = r.decode(ac);
      const size = rs & 15;
      let run = rs >> 4;
      let value = 0;
      if (size) {
        if (size !== 1) throw new FormatError("JPEG: corrupt data (a refinement coefficient of more than 1 bit)");
        value = r.bit() ? p1 : m1;
      } else if (run !== 15) {
        s.eobrun = (1 << run) + (run ? r.bits(run) : 0);
        break;
      }
      do {
        const i = at + ZIGZAG[k]!;
        if (coef[i] !== 0) refine(i);
        else if (--run < 0) break;
        k++;
      } while (k <= s.se);
      if (value) {
        if (k > s.se) throw new FormatError("JPEG: corrupt data (refinement beyond the scan's band)");
        coef[at + ZIGZAG[k]!] = value;
      }
    }
  }
  if (s.eobrun > 0) {
    for (; k <= s.se; k++) {
      const i = at + ZIGZAG[k]!;
      if (coef[i] !== 0) refine(i);
    }
    s.eobrun--;
  }
}
