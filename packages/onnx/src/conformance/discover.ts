import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** A backend node test: a folder with model.onnx and test_data_set_N folders of .pb tensors. */
export interface TestCase {
  readonly name: string;
  readonly dir: string;
}

/**
 * Every test under the given paths: a path holding model.onnx is a test, any other folder is
 * searched recursively (following symbolic links). Sorted by path so runs are reproducible.
 * Finding none is an error: an empty selection must not pass as a green run.
 */
export async function findTests(paths: readonly string[]): Promise<TestCase[]> {
  const found = new Map<string, TestCase>();
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (depth > 32) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    // Symbolic links are followed (a folder of links to test folders is a common way to pick a selection).
    const kinds = await Promise.all(entries.map(async (e) => (e.isSymbolicLink() ? await stat(join(dir, e.name)).catch(() => undefined) : e)));
    if (entries.some((e, i) => kinds[i]?.isFile() && e.name === "model.onnx")) {
      found.set(dir, { name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir, dir });
      return;
    }
    const order = entries.map((e, i) => ({ e, kind: kinds[i] })).sort((a, b) => a.e.name.localeCompare(b.e.name));
    for (const { e, kind } of order) {
      if (kind?.isDirectory()) await visit(join(dir, e.name), depth + 1);
    }
  };
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (!info) throw new Error(`no such file or folder: ${p}`);
    await visit(p, 0);
  }
  if (found.size === 0) throw new Error(`no tests found in ${paths.join(", ")} (a test is a folder holding model.onnx and test_data_set_N folders)`);
  return [...found.values()].sort((a, b) => a.dir.localeCompare(b.dir));
}

/** The test_data_set_N folders of a test, in numeric order. */
export async function dataSets(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && /^test_data_set_\d+$/.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => Number(a.slice(14)) - Number(b.slice(14)))
    .map((n) => join(dir, n));
}

/** The input_N.pb or output_N.pb files of a data set, in numeric order. */
export async function tensorFiles(set: string, kind: "input" | "output"): Promise<string[]> {
  const entries = await readdir(set);
  const re = new RegExp(`^${kind}_(\\d+)\\.pb$`);
  return entries
    .filter((n) => re.test(n))
    .sort((a, b) => Number(re.exec(a)![1]) - Number(re.exec(b)![1]))
    .map((n) => join(set, n));
}

/** A file's bytes as a plain Uint8Array view (Node's Buffer type does not fit Uint8Array<ArrayBuffer>). */
export async function readBytes(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
