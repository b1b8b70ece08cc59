import { FormatError } from "@polychip/hal";

/**
 * zlib (RFC 1950) around DEFLATE (RFC 1951): stored, fixed-Huffman and dynamic-Huffman blocks.
 * Plain Uint8Array code (no node:zlib) so that PNG decoding runs in the browser too. The output
 * grows as needed up to `limit` bytes (the size the caller expects): more is a corrupt stream.
 */
export function zlibInflate(data: Uint8Array, limit: number, format = "zlib"): Uint8Array {
  if (data.length < 2) throw new FormatError(`${format}: truncated zlib stream (${data.length} bytes)`);
  const cmf = data[0]!;
  const flg = data[1]!;
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0)
    throw new FormatError(`${format}: not a zlib deflate stream (header ${cmf.toString(16)} ${flg.toString(16)})`);
  if (flg & 0x20) throw new FormatError(`${format}: zlib stream with a preset dictionary is not supported`);
  return inflate(data.subarray(2), limit, format);
}

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A canonical Huffman code: counts of codes per length and the symbols in code order. */
interface Huffman {
  readonly counts: Uint16Array;
  readonly symbols: Uint16Array;
}

function buildHuffman(lengths: ArrayLike<number>, format: string): Huffman {
  const counts = new Uint16Array(16);
  for (let i = 0; i < lengths.length; i++) counts[lengths[i]!]!++;
  counts[0] = 0;
  let left = 1;
  for (let len = 1; len < 16; len++) {
    left = (left << 1) - counts[len]!;
    if (left < 0) throw new FormatError(`${format}: corrupt deflate stream (over-subscribed Huffman code)`);
  }
  const offsets = new Uint16Array(16);
  for (let len = 1; len < 15; len++) offsets[len + 1] = offsets[len]! + counts[len]!;
  const symbols = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) if (lengths[s]) symbols[offsets[lengths[s]!]!++] = s;
  return { counts, symbols };
}

class BitReader {
  pos = 0;
  bit = 0;
  constructor(
    readonly data: Uint8Array,
    readonly format: string,
  ) {}

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.data.length) throw new FormatError(`${this.format}: truncated deflate stream`);
      v |= ((this.data[this.pos]! >> this.bit) & 1) << i;
      if (++this.bit === 8) {
        this.bit = 0;
        this.pos++;
      }
    }
    return v;
  }

  decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= this.bits(1);
      const count = h.counts[len]!;
      if (code - count < first) return h.symbols[index + (code - first)]!;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new FormatError(`${this.format}: corrupt deflate stream (invalid Huffman code)`);
  }

  alignToByte(): void {
    if (this.bit) {
      this.bit = 0;
      this.pos++;
    }
  }
}

let fixedCodes: { lit: Huffman; dist: Huffman } | undefined;
function fixed(format: string): { lit: Huffman; dist: Huffman } {
  if (!fixedCodes) {
    const lit = new Uint8Array(288);
    lit.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    fixedCodes = { lit: buildHuffman(lit, format), dist: buildHuffman(new Uint8Array(30).fill(5), format) };
  }
  return fixedCodes;
}

function dynamic(r: BitReader): { lit: Huffman; dist: Huffman } {
  const nlit = r.bits(5) + 257;
  const ndist = r.bits(5) + 1;
  const ncode = r.bits(4) + 4;
  if (nlit > 286 || ndist > 30) throw new FormatError(`${r.format}: corrupt deflate stream (${nlit} literal, ${ndist} distance codes)`);
  const codeLengths = new Uint8Array(19);
  for (let i = 0; i < ncode; i++) codeLengths[CODE_LENGTH_ORDER[i]!] = r.bits(3);
  const lengthCode = buildHuffman(codeLengths, r.format);
  const lengths = new Uint8Array(nlit + ndist);
  for (let i = 0; i < lengths.length; ) {
    const sym = r.decode(lengthCode);
    if (sym < 16) {
      lengths[i++] = sym;
      continue;
    }
    let repeat: number;
    let value = 0;
    if (sym === 16) {
      if (i === 0) throw new FormatError(`${r.format}: corrupt deflate stream (length repeat with no previous length)`);
      value = lengths[i - 1]!;
      repeat = 3 + r.bits(2);
    } else repeat = sym === 17 ? 3 + r.bits(3) : 11 + r.bits(7);
    if (i + repeat > lengths.length) throw new FormatError(`${r.format}: corrupt deflate stream (code lengths overrun)`);
    lengths.fill(value, i, i + repeat);
    i += repeat;
  }
  if (lengths[256] === 0) throw new FormatError(`${r.format}: corrupt deflate stream (no end-of-block code)`);
  return { lit: buildHuffman(lengths.subarray(0, nlit), r.format), dist: buildHuffman(lengths.subarray(nlit), r.format) };
}

/** Raw DEFLATE into at most `limit` bytes. */
export function inflate(data: Uint8Array, limit: number, format = "deflate"): Uint8Array {
  const r = new BitReader(data, format);
  let out = new Uint8Array(Math.min(limit, Math.max(1024, data.length * 4)));
  let n = 0;
  const ensure = (more: number) => {
    if (n + more > limit) throw new FormatError(`${format}: deflate stream holds more than the ${limit} bytes expected`);
    if (n + more <= out.length) return;
    const grown = new Uint8Array(Math.min(limit, Math.max(out.length * 2, n + more)));
    grown.set(out.subarray(0, n));
    out = grown;
  };
  let last = 0;
  while (!last) {
    last = r.bits(1);
    const type = r.bits(2);
    if (type === 0) {
      r.alignToByte();
      if (r.pos + 4 > data.length) throw new FormatError(`${format}: truncated deflate stream (stored block header)`);
      const len = data[r.pos]! | (data[r.pos + 1]! << 8);
      const nlen = data[r.pos + 2]! | (data[r.pos + 3]! << 8);
      if ((len ^ 0xffff) !== nlen) throw new FormatError(`${format}: corrupt deflate stream (stored block length check)`);
      r.pos += 4;
      if (r.pos + len > data.length) throw new FormatError(`${format}: truncated deflate stream (stored block)`);
      ensure(len);
      out.set(data.subarray(r.pos, r.pos + len), n);
      n += len;
      r.pos += len;
      continue;
    }
    if (type === 3) throw new FormatError(`${format}: corrupt deflate stream (block type 3)`);
    const { lit, dist } = type === 1 ? fixed(format) : dynamic(r);
    for (;;) {
      const sym = r.decode(lit);
      if (sym < 256) {
        ensure(1);
        out[n++] = sym;
      } else if (sym === 256) break;
      else {
        const li = sym - 257;
        if (li >= 29) throw new FormatError(`${format}: corrupt deflate stream (length symbol ${sym})`);
        const length = LENGTH_BASE[li]! + r.bits(LENGTH_EXTRA[li]!);
        const di = r.decode(dist);
        if (di >= 30) throw new FormatError(`${format}: corrupt deflate stream (distance symbol ${di})`);
        const distance = DIST_BASE[di]! + r.bits(DIST_EXTRA[di]!);
        if (distance > n) throw new FormatError(`${format}: corrupt deflate stream (distance ${distance} before the start)`);
        ensure(length);
        for (let k = 0; k < length; k++, n++) out[n] = out[n - distance]!;
      }
    }
  }
  return out.subarray(0, n);
}
