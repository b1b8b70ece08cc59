/**
 * What a file dropped on the page is, from its name and first bytes: Fashion-MNIST-style IDX
 * (gzipped or not), CSV, an ONNX model, a Polychip model file or checkpoint. Used to describe the
 * file in the data panel before any run reads it.
 */
import { decodeIdxImages, decodeIdxLabels, gunzipWithStream, isGzip } from "@polychip/datasets/browser";
import { parseCsvTable } from "../user-api/csv.ts";
import { onnxProblem } from "./onnx-sniff.ts";

export type DroppedKind = "idx-images" | "idx-labels" | "csv" | "onnx" | "model" | "checkpoint" | "unknown";

export interface DroppedSummary {
  name: string;
  bytes: number;
  kind: DroppedKind;
  /** One line for the data panel. */
  detail: string;
  error?: string;
}

function ascii(bytes: Uint8Array, n: number): string {
  return String.fromCharCode(...bytes.subarray(0, n));
}

export function kindFromName(name: string): DroppedKind | undefined {
  const n = name.toLowerCase();
  if (n.endsWith(".onnx")) return "onnx";
  if (n.endsWith(".pcm")) return "model";
  if (n.endsWith(".pcck")) return "checkpoint";
  if (n.endsWith(".csv") || n.endsWith(".tsv")) return "csv";
  if (/idx3-ubyte(\.gz)?$/.test(n)) return "idx-images";
  if (/idx1-ubyte(\.gz)?$/.test(n)) return "idx-labels";
  return undefined;
}

export async function describeDropped(name: string, bytes: Uint8Array): Promise<DroppedSummary> {
  const base = { name, bytes: bytes.byteLength };
  try {
    let kind = kindFromName(name);
    if (!kind && ascii(bytes, 4) === "PCCK") kind = "checkpoint";
    if (!kind && (isGzip(bytes) || bytes[2] === 0x08)) {
      const raw = isGzip(bytes) ? await gunzipWithStream(bytes) : bytes;
      kind = raw[3] === 3 ? "idx-images" : raw[3] === 1 ? "idx-labels" : undefined;
    }
    switch (kind) {
      case "idx-images": {
        const img = await decodeIdxImages(bytes, name, gunzipWithStream);
        return { ...base, kind, detail: `${img.count} images of ${img.rows}×${img.cols}` };
      }
      case "idx-labels": {
        const lab = await decodeIdxLabels(bytes, name, gunzipWithStream);
        return { ...base, kind, detail: `${lab.count} labels` };
      }
      case "csv": {
        const table = parseCsvTable(new TextDecoder().decode(bytes), name);
        return { ...base, kind, detail: `${table.rows.length} rows × ${table.columns} columns${table.header ? " (with header)" : ""}` };
      }
      case "onnx": {
        const problem = onnxProblem(bytes);
        return problem ? { ...base, kind: "unknown", detail: "not an ONNX model", error: problem } : { ...base, kind, detail: "ONNX model" };
      }
      case "model":
        return ascii(bytes, 4) === "PCMF"
          ? { ...base, kind, detail: "Polychip model file" }
          : { ...base, kind: "unknown", detail: "not a Polychip model file", error: "it does not start with the PCMF signature" };
      case "checkpoint":
        return ascii(bytes, 4) === "PCCK"
          ? { ...base, kind, detail: "Polychip checkpoint (weights)" }
          : { ...base, kind: "unknown", detail: "not a Polychip checkpoint", error: "it does not start with the PCCK signature" };
      default:
        return { ...base, kind: "unknown", detail: "not a known data or model format" };
    }
  } catch (err) {
    return { ...base, kind: "unknown", detail: "could not be read", error: (err as Error).message };
  }
}
