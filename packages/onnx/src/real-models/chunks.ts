import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** One entry of a chunk manifest: the pieces of a file, each stored beside the manifest under its hash, with its byte range. */
interface ChunkedEntry {
  readonly chunks: readonly { readonly hash: string; readonly offsets: readonly [number, number] }[];
  readonly size?: number;
}

/**
 * A model that a package ships split into pieces (as @imgly/background-removal-data does: a
 * resources.json maps "/models/medium" to 4 MiB chunks named by their hashes), joined back in
 * order. Each chunk must start where the previous ended and have its listed length, so a missing
 * or reordered piece is an error naming it rather than a corrupt model.
 */
export function assembleChunks(manifestPath: string, key: string): Uint8Array {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, ChunkedEntry | undefined>;
  const entry = manifest[key];
  if (!entry?.chunks?.length) throw new Error(`${manifestPath}: no chunked entry '${key}' (entries: ${Object.keys(manifest).join(", ")})`);
  const parts: Uint8Array[] = [];
  let end = 0;
  for (const { hash, offsets } of entry.chunks) {
    const [from, to] = offsets;
    if (from !== end) throw new Error(`${manifestPath} '${key}': chunk ${hash} starts at byte ${from}, expected ${end}`);
    const part = new Uint8Array(readFileSync(join(dirname(manifestPath), hash)));
    if (part.length !== to - from) throw new Error(`${manifestPath} '${key}': chunk ${hash} has ${part.length} bytes, the manifest says ${to - from}`);
    parts.push(part);
    end = to;
  }
  if (entry.size !== undefined && entry.size !== end) throw new Error(`${manifestPath} '${key}': chunks cover ${end} bytes, the manifest says ${entry.size}`);
  const whole = new Uint8Array(end);
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}
