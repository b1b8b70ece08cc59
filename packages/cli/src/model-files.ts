import { extname } from "node:path";
import { FormatError, parseModel, PolychipError, serializeModel, type Graph, type HostOutput, type RuntimeInput } from "@polychip/engine/runtime";
import { parsingFile, readBytes, writeFileAtomic } from "./files.ts";

/** What the CLI needs from @polychip/onnx; loaded only when an ONNX file is involved. */
interface OnnxModule {
  /** `knownValues` fixes values the model computes at run time (an If's condition), as OnnxSession does per run. */
  importOnnx(bytes: Uint8Array, options?: { knownValues?: Record<string, { dtype: "bool"; shape: number[]; data: Uint8Array }> }): Graph | Promise<Graph>;
  exportOnnx(graph: Graph): Uint8Array | Promise<Uint8Array>;
}

/** An ONNX model planned per input-shape signature (@polychip/onnx's OnnxSession, seen from the CLI). */
/** An ONNX input: a tensor, a sequence (an array), or an optional (null or undefined when absent). */
export type OnnxFeedValue =
  | RuntimeInput
  | { readonly shape: readonly number[]; readonly data: readonly string[]; readonly dtype?: "string" }
  | readonly OnnxFeedValue[]
  | null
  | undefined;
/** An ONNX output as `runValues` returns it: a tensor, a sequence (an array), or an optional (null when absent). */
export type OnnxOutputValue =
  | HostOutput
  | { readonly dtype: "string"; readonly shape: readonly number[]; readonly data: readonly string[] }
  | readonly OnnxOutputValue[]
  | null
  | undefined;

export interface OnnxModelSession {
  /** The graph planned for these inputs, with the values computed from them that it fixed (an If's condition). */
  planFor(inputs: Readonly<Record<string, OnnxFeedValue>>): Promise<{ graph: Graph; assumed?: Readonly<Record<string, { readonly data: ArrayLike<number> }>> }>;
  run(inputs: Readonly<Record<string, OnnxFeedValue>>): Promise<Record<string, HostOutput>>;
  runValues(inputs: Readonly<Record<string, OnnxFeedValue>>): Promise<Record<string, OnnxOutputValue>>;
  dispose(): void;
}

interface OnnxSessionModule {
  OnnxSession: { create(model: unknown, options: { device: string }): Promise<OnnxModelSession> };
}

interface OnnxNodeModule {
  readOnnxModel(path: string): unknown;
}

async function importOnnxPackage<T>(specifier: string): Promise<Partial<T>> {
  try {
    return (await import(specifier)) as Partial<T>;
  } catch (err) {
    throw new PolychipError(`ONNX support needs the @polychip/onnx package, which could not be loaded (${(err as Error).message}); use a .pcm model instead`);
  }
}

export async function loadOnnxSupport(): Promise<OnnxModule> {
  const mod = await importOnnxPackage<OnnxModule>("@polychip/onnx");
  if (typeof mod.importOnnx !== "function" || typeof mod.exportOnnx !== "function") {
    throw new PolychipError("@polychip/onnx does not export importOnnx and exportOnnx");
  }
  return mod as OnnxModule;
}

/**
 * Opens an .onnx file (with any external-data files beside it) as an OnnxSession: each input-shape
 * signature gets its own plan with every symbolic dim bound, so models with dynamic height, width
 * or sequence length run at whatever size the inputs have.
 */
export async function openOnnxSession(path: string, device: string): Promise<OnnxModelSession> {
  const { OnnxSession } = await importOnnxPackage<OnnxSessionModule>("@polychip/onnx");
  const { readOnnxModel } = await importOnnxPackage<OnnxNodeModule>("@polychip/onnx/node");
  if (!OnnxSession || typeof readOnnxModel !== "function") throw new PolychipError("@polychip/onnx does not export OnnxSession and readOnnxModel");
  return parsingFile(path, () => OnnxSession.create(readOnnxModel(path), { device }));
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
