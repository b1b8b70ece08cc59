import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { PolychipError } from "@polychip/hal";

/** A file or folder the CLI cannot read or write; the message names the path and what was expected. */
export class FileError extends PolychipError {}

const REASONS: Record<string, string> = {
  ENOENT: "does not exist",
  EISDIR: "is a directory",
  ENOTDIR: "has a parent that is not a directory",
  EACCES: "is not accessible (permission denied)",
  EPERM: "is not accessible (operation not permitted)",
  EROFS: "is on a read-only file system",
  ENOSPC: "could not be written: no space left on the device",
  EEXIST: "already exists",
};

/** A Node file-system error as one line naming the path, what went wrong and what was expected. */
export function fileError(path: string, expected: string, err: unknown): FileError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const reason = (code && REASONS[code]) ?? (err as Error)?.message ?? String(err);
  return new FileError(`${path}: ${reason}; expected ${expected}`);
}

const tempName = (path: string) => `${path}.${randomBytes(4).toString("hex")}.tmp`;
const isTempOf = (name: string, target: string) => name.startsWith(`${target}.`) && /^\.[0-9a-f]{8}\.tmp$/.test(name.slice(target.length));

/**
 * Checks, before any work starts, that `path` can receive the output: not a directory, its folder
 * exists (or is created when `createParent`), and a file can be created there. A run that would
 * fail at its final save fails in its first second instead.
 */
export async function checkOutputPath(path: string, what: string, options: { createParent?: boolean } = {}): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw new FileError(`${path}: is a directory; expected a file path for the ${what}`);
  if (existing && !existing.isFile()) throw new FileError(`${path}: is not a regular file; expected a file path for the ${what}`);
  const parent = dirname(path);
  const folder = await stat(parent).catch((err: NodeJS.ErrnoException) => err);
  if (folder instanceof Error) {
    if (folder.code === "ENOENT" && options.createParent)
      await mkdir(parent, { recursive: true }).catch((err) => {
        throw fileError(path, `a folder that can be created for the ${what}`, err);
      });
    else if (folder.code === "ENOENT")
      throw new FileError(`${path}: its directory ${parent} does not exist; create it first (expected a writable location for the ${what})`);
    else throw fileError(path, `a writable location for the ${what}`, folder);
  } else if (!folder.isDirectory()) throw new FileError(`${path}: ${parent} is not a directory; expected a writable location for the ${what}`);
  const probe = tempName(path);
  try {
    await (await open(probe, "wx")).close();
  } catch (err) {
    throw fileError(path, `a writable location for the ${what}`, err);
  }
  await rm(probe, { force: true });
}

/** Removes temporary files an interrupted earlier save of `path` left behind. */
async function sweepStaleTemps(path: string): Promise<void> {
  const folder = dirname(path);
  const names = await readdir(folder).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => isTempOf(n, basename(path))).map((n) => rm(join(folder, n), { force: true })));
}

/** Makes a rename durable: the directory entry itself is flushed (not possible on every platform). */
async function syncDirectory(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, "r");
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF") throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes via a temporary file, fsync and rename, then fsyncs the folder: a crash or power loss
 * leaves either the previous file or the new one, never half of one. Stale temporary files of
 * an interrupted earlier save are removed first; this save's own is removed if it fails.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, what = "output file"): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await sweepStaleTemps(path);
  const tmp = tempName(path);
  try {
    const handle = await open(tmp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await syncDirectory(dirname(path));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err instanceof FileError ? err : fileError(path, `a writable location for the ${what}`, err);
  }
}

/**
 * Runs a parser on a file's contents; an error it raises that does not already name the file gets
 * the path in front, keeping its class (a FormatError stays a FormatError).
 */
export async function parsingFile<T>(path: string, parse: () => T | Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (err) {
    if (!(err instanceof PolychipError) || err.message.includes(path)) throw err;
    const Ctor = err.constructor as new (message: string) => PolychipError;
    throw new Ctor(`${path}: ${err.message}`);
  }
}

/** A whole file's bytes; a missing file, a directory or an unreadable one is a FileError naming it. */
export async function readBytes(path: string, what = "file"): Promise<Uint8Array> {
  try {
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    throw fileError(path, `a ${what}`, err);
  }
}
