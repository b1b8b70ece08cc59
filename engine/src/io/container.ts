import { FormatError } from "@polychip/hal";
import { crc32 } from "./crc32.ts";

/**
 * Polychip's binary container, shared by checkpoints and model files:
 *   magic (4 bytes) | format version u32 | header length u32 | header CRC-32 u32 | payload CRC-32 u32 |
 *   header (UTF-8 JSON) | zero padding to 64 bytes | payload (each blob 64-byte aligned)
 * Little-endian. Readers refuse other magics, newer versions and bad checksums with a FormatError.
 */
export interface Blob64 {
  readonly offset: number;
  readonly bytes: number;
}

const ALIGN = 64;
const FIXED = 20;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export function writeContainer(magic: string, version: number, header: object, blobs: readonly Uint8Array[]): { bytes: Uint8Array; blobs: Blob64[] } {
  const placed: Blob64[] = [];
  let size = 0;
  for (const b of blobs) {
    placed.push({ offset: size, bytes: b.byteLength });
    size = align(size + b.byteLength);
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify({ ...header, blobs: placed }));
  const payloadStart = align(FIXED + headerBytes.byteLength);
  const out = new Uint8Array(payloadStart + size);
  out.set(new TextEncoder().encode(magic.padEnd(4).slice(0, 4)), 0);
  out.set(headerBytes, FIXED);
  blobs.forEach((b, i) => out.set(b, payloadStart + placed[i]!.offset));
  const dv = new DataView(out.buffer);
  dv.setUint32(4, version, true);
  dv.setUint32(8, headerBytes.byteLength, true);
  dv.setUint32(12, crc32(headerBytes), true);
  dv.setUint32(16, crc32(out.subarray(payloadStart)), true);
  return { bytes: out, blobs: placed };
}

export interface ParsedContainer<H> {
  version: number;
  header: H & { blobs: Blob64[] };
  blob(i: number): Uint8Array;
}

export function readContainer<H>(bytes: Uint8Array, magic: string, maxVersion: number, what: string): ParsedContainer<H> {
  if (bytes.byteLength < FIXED) throw new FormatError(`${what}: file is ${bytes.byteLength} bytes, too short to be a ${magic} file`);
  const found = new TextDecoder().decode(bytes.subarray(0, 4));
  if (found !== magic) throw new FormatError(`${what}: not a ${magic} file (magic ${JSON.stringify(found)})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version > maxVersion || version === 0)
    throw new FormatError(`${what}: format version ${version} is newer than this reader supports (${maxVersion}); upgrade Polychip`);
  const headerLength = dv.getUint32(8, true);
  if (FIXED + headerLength > bytes.byteLength)
    throw new FormatError(`${what}: truncated (header of ${headerLength} bytes does not fit in ${bytes.byteLength})`);
  const headerBytes = bytes.subarray(FIXED, FIXED + headerLength);
  if (crc32(headerBytes) !== dv.getUint32(12, true)) throw new FormatError(`${what}: header checksum mismatch (corrupt file)`);
  const payloadStart = align(FIXED + headerLength);
  if (payloadStart > bytes.byteLength) throw new FormatError(`${what}: truncated before the payload`);
  const payload = bytes.subarray(payloadStart);
  if (crc32(payload) !== dv.getUint32(16, true)) throw new FormatError(`${what}: payload checksum mismatch (corrupt or truncated file)`);
  let header: H & { blobs: Blob64[] };
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw new FormatError(`${what}: header is not valid JSON (${(err as Error).message})`);
  }
  if (!header || !Array.isArray(header.blobs)) throw new FormatError(`${what}: header has no blob table`);
  return {
    version,
    header,
    blob(i: number): Uint8Array {
      const b = header.blobs[i];
      if (!b || !Number.isInteger(b.offset) || !Number.isInteger(b.bytes) || b.offset < 0 || b.offset + b.bytes > payload.byteLength) {
        throw new FormatError(`${what}: blob ${i} is out of range`);
      }
      return payload.subarray(b.offset, b.offset + b.bytes);
    },
  };
}
