import { FormatError } from "@polychip/hal";

/** Anything a loader accepts as file contents: a Node Buffer, any typed array or DataView, or an ArrayBuffer. */
export type ByteSource = ArrayBufferView | ArrayBuffer;

/**
 * The bytes of `source` as a Uint8Array over exactly its window. Node Buffers are views into a
 * shared pool, so a reader must keep their byteOffset and never start at offset 0 of `.buffer`.
 */
export function asBytes(source: unknown, what: string): Uint8Array {
  if (source instanceof Uint8Array && source.constructor === Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  throw new FormatError(`${what}: expected bytes (a Buffer, Uint8Array or other ArrayBufferView), got ${source === null ? "null" : typeof source}`);
}
