/** The Node-only part: gunzip with zlib, reading folders, and the full source resolution order. */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzip as zlibGunzip } from "node:zlib";
import { FormatError } from "@polychip/hal";
import {
  assembleFashionMnist,
  checkOneSourceGiven,
  DEBIAN_FASHION_MNIST_DIR,
  describeFashionMnist,
  FASHION_MNIST_FILES,
  fashionMnistSubsetUrl,
  fetchFashionMnistFiles,
  type FashionMnist,
  type FashionMnistFile,
  type FashionMnistFileBytes,
  type FashionMnistOptions,
  type FashionMnistSource,
} from "./fashion-mnist.ts";

const gunzipAsync = promisify(zlibGunzip);

/** zlib runs off the main thread and is faster than DecompressionStream on the 26 MB train file. */
export async function gunzipWithZlib(bytes: Uint8Array): Promise<Uint8Array> {
  const out = await gunzipAsync(bytes);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Absolute path of the committed subset folder (for the CLI, and for servers that hand it to the studio). */
export const fashionMnistSubsetDir: string = fileURLToPath(fashionMnistSubsetUrl());

export function hasFashionMnistFiles(dir: string): boolean {
  return Object.values(FASHION_MNIST_FILES).every((name) => existsSync(join(dir, name)));
}

export async function readFashionMnistDir(dir: string): Promise<FashionMnistFileBytes> {
  const entries = await Promise.all(
    (Object.keys(FASHION_MNIST_FILES) as FashionMnistFile[]).map(async (key) => {
      const path = join(dir, FASHION_MNIST_FILES[key]);
      let bytes: Uint8Array;
      try {
        const buffer = await readFile(path);
        bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (error) {
        throw new FormatError(`${path}: ${unreadableBecause(error)}; expected the Fashion-MNIST file ${FASHION_MNIST_FILES[key]} in ${dir}`);
      }
      return [key, { bytes, name: path }] as const;
    }),
  );
  return Object.fromEntries(entries) as FashionMnistFileBytes;
}

/** Why a file could not be read, in words rather than a raw errno line. */
function unreadableBecause(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "ENOENT") return "does not exist";
  if (code === "EISDIR") return "is a directory";
  if (code === "EACCES" || code === "EPERM") return "is not readable (permission denied)";
  return `cannot be read (${error instanceof Error ? error.message : String(error)})`;
}

export interface NodeFashionMnistOptions extends FashionMnistOptions {
  /** Where to look for the Debian install; a seam for tests, defaults to /usr/share/datasets/fashion-mnist. */
  systemDir?: string;
}

/**
 * Loads Fashion-MNIST from, in order: an explicit `dir` or `url`; the full Debian set when installed
 * (unless `subset` is set); the embedded 10,000/2,000 subset committed with this package.
 */
export async function loadFashionMnist(options: NodeFashionMnistOptions = {}): Promise<FashionMnist> {
  checkOneSourceGiven(options);
  const systemDir = options.systemDir ?? DEBIAN_FASHION_MNIST_DIR;
  let source: FashionMnistSource;
  let where: string;
  let files: FashionMnistFileBytes;
  if (options.dir !== undefined) {
    [source, where, files] = ["dir", options.dir, await readFashionMnistDir(options.dir)];
  } else if (options.url !== undefined) {
    [source, where, files] = ["url", String(options.url), await fetchFashionMnistFiles(options.url)];
  } else if (!options.subset && hasFashionMnistFiles(systemDir)) {
    [source, where, files] = ["debian", systemDir, await readFashionMnistDir(systemDir)];
  } else {
    [source, where, files] = ["embedded", fashionMnistSubsetDir, await readFashionMnistDir(fashionMnistSubsetDir)];
  }
  const { train, test } = await assembleFashionMnist(files, gunzipWithZlib);
  return { train, test, source, description: describeFashionMnist(source, where, train, test) };
}
