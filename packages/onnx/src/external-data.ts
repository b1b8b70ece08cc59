import { FormatError } from "@polychip/hal";
import type { GraphProto, ModelProto, TensorProto } from "./proto/types.ts";

/** Reads the bytes of an external-data file named by a tensor (a path relative to the model's folder). */
export type ExternalDataReader = (location: string) => Uint8Array;

/**
 * The model with every tensor stored in an external file (ONNX's data_location = EXTERNAL: the
 * `location`, `offset` and `length` entries) read into the tensor itself, in every graph and
 * subgraph. A location must stay inside the model's folder (no absolute path, no `..`); a range
 * outside the file is a FormatError naming the tensor and the file.
 */
export function resolveExternalData(model: ModelProto, read: ExternalDataReader): ModelProto {
  if (!model.graph) return model;
  const files = new Map<string, Uint8Array>();
  const load = (location: string) => {
    let bytes = files.get(location);
    if (!bytes) {
      bytes = read(location);
      files.set(location, bytes);
    }
    return bytes;
  };
  return { ...model, graph: resolveGraph(model.graph, load) };
}

function resolveGraph(graph: GraphProto, load: (location: string) => Uint8Array): GraphProto {
  return {
    ...graph,
    initializer: (graph.initializer ?? []).map((t) => resolveTensor(t, load)),
    node: (graph.node ?? []).map((n) => ({
      ...n,
      attribute: (n.attribute ?? []).map((a) => ({
        ...a,
        ...(a.t ? { t: resolveTensor(a.t, load) } : {}),
        ...(a.g ? { g: resolveGraph(a.g, load) } : {}),
        ...(a.graphs ? { graphs: a.graphs.map((g) => resolveGraph(g, load)) } : {}),
      })),
    })),
  };
}

function resolveTensor(t: TensorProto, load: (location: string) => Uint8Array): TensorProto {
  if (t.dataLocation !== 1 && !(t.externalData && t.externalData.length > 0)) return t;
  const what = `tensor '${t.name ?? ""}'`;
  const entry = (key: string) => t.externalData?.find((e) => e.key === key)?.value;
  const location = entry("location");
  if (!location) throw new FormatError(`${what}: external data without a location`);
  if (/^([\\/]|[A-Za-z]:)/.test(location) || location.split(/[\\/]/).includes("..")) {
    throw new FormatError(`${what}: external data location '${location}' must be a path inside the model's folder`);
  }
  const bytes = load(location);
  const offset = Number(entry("offset") ?? 0);
  const length = entry("length") === undefined ? bytes.length - offset : Number(entry("length"));
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
    throw new FormatError(`${what}: bytes ${offset}..${offset + length} are outside '${location}' (${bytes.length} bytes)`);
  }
  const { externalData: _e, dataLocation: _d, ...rest } = t;
  return { ...rest, rawData: bytes.subarray(offset, offset + length) };
}
