import { FormatError, UnsupportedOpError } from "@polychip/hal";
import { checkDimensions, type DecodedImage } from "./image.ts";

/**
 * Netpbm PBM/PGM/PPM: binary P4 (bits), P5 (gray) and P6 (RGB) and their ASCII forms P1, P2 and
 * P3, any maxval up to 65535 (scaled to 0..255 as Pillow's decoder does: round(v / maxval · 255) in
 * doubles, ties to even as Python's round; 2-byte samples are big-endian). A PBM bit 1 is black
 * (0), 0 white (255). PAM (P7) is refused.
 */
export function decodePnm(bytes: Uint8Array): DecodedImage {
  const kind = String.fromCharCode(bytes[0]!, bytes[1]!);
  if (!["P1", "P2", "P3", "P4", "P5", "P6"].includes(kind)) throw new UnsupportedOpError(`PNM: ${kind} images are not supported (only P1 to P6)`);
  let pos = 2;
  /** The next whitespace-separated decimal number, skipping # comments. */
  const next = (what: string): number => {
    for (;;) {
      while (pos < bytes.length && isSpace(bytes[pos]!)) pos++;
      if (bytes[pos] !== 0x23) break;
      while (pos < bytes.length && bytes[pos] !== 0x0a && bytes[pos] !== 0x0d) pos++;
    }
    const start = pos;
    while (pos < bytes.length && bytes[pos]! >= 0x30 && bytes[pos]! <= 0x39) pos++;
    if (pos === start) throw new FormatError(`PNM: ${pos >= bytes.length ? "truncated file" : "not a number"} where the ${what} belongs (byte ${start})`);
    return Number(String.fromCharCode(...bytes.subarray(start, pos)));
  };
  const width = next("width");
  const height = next("height");
  if (kind === "P1" || kind === "P4") return bitmap(bytes, pos, kind, width, height);
  const maxval = next("maxval");
  checkDimensions("PNM", width, height);
  if (maxval < 1 || maxval > 65535) throw new FormatError(`PNM: maxval ${maxval} outside 1..65535`);
  const channels = kind === "P3" || kind === "P6" ? 3 : 1;
  const count = width * height * channels;
  const data = new Uint8Array(count);
  const scale = (v: number) => {
    if (v > maxval) throw new FormatError(`PNM: sample ${v} above maxval ${maxval}`);
    return maxval === 255 ? v : roundHalfEven((v / maxval) * 255);
  };
  if (kind === "P2" || kind === "P3") {
    for (let i = 0; i < count; i++) data[i] = scale(next("sample"));
    return { width, height, channels, data };
  }
  // Exactly one whitespace byte separates the header from binary samples.
  if (pos >= bytes.length) throw new FormatError("PNM: truncated file (it ends after the header)");
  if (!isSpace(bytes[pos]!)) throw new FormatError("PNM: no whitespace after the header");
  pos++;
  const wide = maxval > 255 ? 2 : 1;
  if (pos + count * wide > bytes.length)
    throw new FormatError(`PNM: truncated file (${width}×${height}×${channels} samples need ${count * wide} bytes, ${bytes.length - pos} remain)`);
  for (let i = 0; i < count; i++) data[i] = scale(wide === 2 ? (bytes[pos + 2 * i]! << 8) | bytes[pos + 2 * i + 1]! : bytes[pos + i]!);
  return { width, height, channels, data };
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;
}

/** Python's round() of a double: to the nearest integer, ties to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** PBM pixels after the header (which ends at `pos`): ASCII digits (P1) or rows of bits, most significant first (P4). */
function bitmap(bytes: Uint8Array, pos: number, kind: string, width: number, height: number): DecodedImage {
  checkDimensions("PNM", width, height);
  const data = new Uint8Array(width * height);
  if (kind === "P1") {
    let at = pos;
    for (let i = 0; i < data.length; i++) {
      while (at < bytes.length && (isSpace(bytes[at]!) || bytes[at] === 0x23))
        if (bytes[at] === 0x23) while (at < bytes.length && bytes[at] !== 0x0a && bytes[at] !== 0x0d) at++;
        else at++;
      if (at >= bytes.length) throw new FormatError(`PNM: truncated file (${i} of ${data.length} bits)`);
      const bit = bytes[at++]! - 0x30;
      if (bit !== 0 && bit !== 1) throw new FormatError(`PNM: '${String.fromCharCode(bit + 0x30)}' where a P1 bit (0 or 1) belongs (byte ${at - 1})`);
      data[i] = bit ? 0 : 255;
    }
    return { width, height, channels: 1, data };
  }
  if (pos >= bytes.length) throw new FormatError("PNM: truncated file (it ends after the header)");
  const stride = Math.ceil(width / 8);
  const start = pos + 1;
  if (start + stride * height > bytes.length)
    throw new FormatError(`PNM: truncated file (${width}×${height} bits need ${stride * height} bytes, ${bytes.length - start} remain)`);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = (bytes[start + y * stride + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 0 : 255;
  return { width, height, channels: 1, data };
}
