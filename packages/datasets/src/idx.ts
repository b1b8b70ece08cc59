/**
 * IDX files (the format of MNIST and Fashion-MNIST): a big-endian header — two zero bytes, a type
 * byte, a dimension count, then one u32 per dimension — followed by the data in row-major order.
 * This file has no Node imports so the studio can use it in a browser.
 */
import { FormatError } from "@polychip/hal";

/** IDX magic of a u8 tensor with 3 dimensions: images [n, rows, cols]. */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** IDX magic of a u8 tensor with 1 dimension: labels [n]. */
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols bytes, one image after the other, each row-major. */
  pixels: Uint8Array;
}

export interface IdxLabels {
  count: number;
  labels: Uint8Array;
}

/** Turns gzip bytes into the bytes they compress; Node and browsers each supply their own. */
export type Gunzip = (bytes: Uint8Array, fileName: string) => Promise<Uint8Array>;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

function readHeader(bytes: Uint8Array, fileName: string, magic: number): number[] {
  const truncated = (need: number) => new FormatError(`${fileName}: truncated IDX header: need ${need} bytes, the file has ${bytes.length}`);
  if (bytes.length < 4) throw truncated(4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The magic comes first so a labels file passed as images says so, rather than "too short".
  const found = view.getUint32(0, false);
  if (found !== magic) {
    throw new FormatError(`${fileName}: bad IDX magic ${hex(found)}, expected ${hex(magic)}`);
  }
  const ndims = magic & 0xff;
  if (bytes.length < 4 + 4 * ndims) throw truncated(4 + 4 * ndims);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  return dims;
}

/** The data after the header, checked to be exactly `expected` bytes long (copied, so it owns its buffer). */
function readBody(bytes: Uint8Array, fileName: string, headerBytes: number, expected: number, dims: number[]): Uint8Array {
  const available = bytes.length - headerBytes;
  if (available < expected) {
    throw new FormatError(`${fileName}: truncated IDX data: header says [${dims.join(", ")}] = ${expected} bytes, the file has ${available}`);
  }
  if (available > expected) {
    throw new FormatError(`${fileName}: ${available - expected} unexpected bytes after the IDX data of [${dims.join(", ")}]`);
  }
  // A copy rather than a view: the caller may transfer it to a worker without dragging the file along.
  // Not bytes.slice(): on a Node Buffer (a view into a shared pool) that returns another view.
  const body = new Uint8Array(expected);
  body.set(bytes.subarray(headerBytes));
  return body;
}

/** Any byte view (a Node Buffer from a shared pool included) as a Uint8Array over exactly its window. */
function bytesOf(source: ArrayBufferView): Uint8Array {
  return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
}

/** Parses uncompressed IDX image bytes (magic 0x00000803). */
export function parseIdxImages(source: ArrayBufferView, fileName: string): IdxImages {
  const bytes = bytesOf(source);
  const dims = readHeader(bytes, fileName, IDX_IMAGES_MAGIC);
  const [count, rows, cols] = dims as [number, number, number];
  const pixels = readBody(bytes, fileName, 16, count * rows * cols, dims);
  return { count, rows, cols, pixels };
}

/** Parses uncompressed IDX label bytes (magic 0x00000801). */
export function parseIdxLabels(source: ArrayBufferView, fileName: string): IdxLabels {
  const bytes = bytesOf(source);
  const dims = readHeader(bytes, fileName, IDX_LABELS_MAGIC);
  const count = dims[0]!;
  const labels = readBody(bytes, fileName, 8, count, dims);
  return { count, labels };
}

/** Undoes gzip when the bytes start with the gzip magic; raw bytes pass through. */
export async function maybeGunzip(source: ArrayBufferView, fileName: string, gunzip: Gunzip): Promise<Uint8Array> {
  const bytes = bytesOf(source);
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzip(bytes, fileName);
  } catch (error) {
    if (error instanceof FormatError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new FormatError(`${fileName}: corrupt or truncated gzip data (${why})`);
  }
}

export async function decodeIdxImages(bytes: ArrayBufferView, fileName: string, gunzip: Gunzip): Promise<IdxImages> {
  return parseIdxImages(await maybeGunzip(bytes, fileName, gunzip), fileName);
}

export async function decodeIdxLabels(bytes: ArrayBufferView, fileName: string, gunzip: Gunzip): Promise<IdxLabels> {
  return parseIdxLabels(await maybeGunzip(bytes, fileName, gunzip), fileName);
}

/** IDX files made of a header and the given data, for writers (the subset script) and tests. */
export function encodeIdxImages(images: IdxImages): Uint8Array {
  return withHeader(IDX_IMAGES_MAGIC, [images.count, images.rows, images.cols], images.pixels);
}

export function encodeIdxLabels(labels: IdxLabels): Uint8Array {
  return withHeader(IDX_LABELS_MAGIC, [labels.count], labels.labels);
}

function withHeader(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const headerBytes = 4 + 4 * dims.length;
  const out = new Uint8Array(headerBytes + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, headerBytes);
  return out;
}
