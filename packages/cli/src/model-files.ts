import { extname } from "node:path";
import { FormatError, parseModel, PolychipError, serializeModel, type Graph } from "@polychip/engine/runtime";
import { parsingFile, readBytes, writeFileAtomic } from "./files.ts";

/** What the CLI needs from @polychip/onnx; loaded only when an ONNX file is involved. */
interface OnnxModule {
  importOnnx(bytes: Uint8Array): Graph | Promise<Graph>;
  exportOnnx(graph: Graph): Uint8Array | Promise<Uint8Array>;
}

export async function loadOnnxSupport(): Promise<OnnxModule> {
  const specifier = "@polychip/onnx";
  let mod: Partial<OnnxModule>;
  try {
    mod = (await import(specifier)) as Partial<OnnxModule>;
  } catch (err) {
    throw new PolychipError(`ONNX support needs the @polychip/onnx package, which could not be loaded (${(err as Error).message}); use a .pcm model instead`);
  }
  if (typeof mod.importOnnx !== "function" || typeof mod.exportOnnx !== "function") {
    throw new PolychipError("@polychip/onnx does not export importOnnx and exportOnnx");
  }
  return mod as OnnxModule;
}

/** Saves a graph as a .pcm file atomically: a crash mid-write leaves the previous file intact. */
export async function saveModel(graph: Graph, path: string): Promise<number> {
  const bytes = serializeModel(graph);
  await writeFileAtomic(path, bytes, "model file");
  return bytes.byteLength;
}

export async function saveOnnx(graph: Graph, path: string): Promise<number> {
  const { exportOnnx } = await loadOnnxSupport();
  const bytes = await exportOnnx(graph);
  await writeFileAtomic(path, bytes, "ONNX file");
  return bytes.byteLength;
}

/** Loads a .pcm file, or an .onnx file through @polychip/onnx. */
export async function loadModel(path: string): Promise<Graph> {
  const bytes = await readBytes(path, "model file (.pcm or .onnx)");
  const ext = extname(path).toLowerCase();
  if (ext === ".onnx") return parsingFile(path, async () => (await loadOnnxSupport()).importOnnx(bytes));
  if (ext !== ".pcm") throw new FormatError(`${path}: unknown model format '${ext}' (expected .pcm or .onnx)`);
  return parsingFile(path, () => parseModel(bytes));
}
