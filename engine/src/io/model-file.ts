import { DTypeError, dtypeBytes, FormatError, isDType, type AttrValue, type DType } from "@polychip/hal";
import { decodeHost, encodeHost } from "../core/host.ts";
import { inferShapes } from "../graph/infer-shapes.ts";
import type { Graph, GraphNode, Initializer, ValueInfo } from "../graph/ir.ts";
import { validateGraph } from "../graph/validate.ts";
import { asBytes, type ByteSource } from "./bytes.ts";
import { readContainer, writeContainer } from "./container.ts";

/**
 * The portable model file (.pcm): Polychip's container (io/container.ts) with magic "PCMF".
 *   header = { format: "polychip-model", graph: { name, inputs, outputs, nodes, metadata },
 *              initializers: [{ name, dtype, shape }], blobs }
 *   blob i = initializer i, in the device byte format (float16 as half bits), 64-byte aligned.
 * JSON cannot hold Infinity or NaN, which attributes may (a pad value of -Infinity), so those
 * numbers are written as {"$f": "-Infinity"}.
 */
export const MODEL_MAGIC = "PCMF";
export const MODEL_VERSION = 1;
const WHAT = "model file";

interface HeaderGraph {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: { op: string; inputs: string[]; outputs: string[]; attrs: Record<string, unknown>; name?: string }[];
  metadata?: Record<string, string>;
}

interface ModelHeader {
  format: string;
  graph: HeaderGraph;
  initializers: { name: string; dtype: DType; shape: number[] }[];
}

const encodeNumber = (v: number): unknown => (Number.isFinite(v) ? v : { $f: String(v) });

function encodeAttr(v: AttrValue): unknown {
  if (typeof v === "number") return encodeNumber(v);
  if (Array.isArray(v)) return v.map(encodeNumber);
  return v;
}

/** The graph and its weights as one checksummed buffer. */
export function serializeModel(graph: Graph): Uint8Array {
  const header: ModelHeader = {
    format: "polychip-model",
    graph: {
      name: graph.name,
      inputs: graph.inputs.map(copyInfo),
      outputs: graph.outputs.map(copyInfo),
      nodes: graph.nodes.map((n) => ({
        op: n.op,
        inputs: [...n.inputs],
        outputs: [...n.outputs],
        attrs: Object.fromEntries(
          Object.entries(n.attrs)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, encodeAttr(v)]),
        ),
        ...(n.name !== undefined ? { name: n.name } : {}),
      })),
      ...(graph.metadata ? { metadata: { ...graph.metadata } } : {}),
    },
    initializers: graph.initializers.map((i) => ({ name: i.name, dtype: i.dtype, shape: [...i.shape] })),
  };
  return writeContainer(
    MODEL_MAGIC,
    MODEL_VERSION,
    header,
    graph.initializers.map((i) => encodeHost(i.data, i.dtype)),
  ).bytes;
}

const copyInfo = (v: ValueInfo): ValueInfo => ({ name: v.name, dtype: v.dtype, shape: [...v.shape] });

/**
 * Reads a model file back. Anything malformed — truncation, corruption, a newer format version,
 * a header that does not describe its blobs, a graph that is not well formed or whose shapes do not
 * fit — is a FormatError (or ShapeError from the shape check); an op nothing can run is an
 * UnsupportedOpError. Nothing is uploaded to a device here.
 */
export function parseModel(source: ByteSource): Graph {
  const c = readContainer<ModelHeader>(asBytes(source, WHAT), MODEL_MAGIC, MODEL_VERSION, WHAT);
  const h = c.header;
  if (!isObject(h.graph) || !Array.isArray(h.initializers)) throw new FormatError(`${WHAT}: header has no graph or initializer table`);
  const g = h.graph;
  if (typeof g.name !== "string") throw new FormatError(`${WHAT}: graph has no name`);
  if (!Array.isArray(g.inputs) || !Array.isArray(g.outputs) || !Array.isArray(g.nodes))
    throw new FormatError(`${WHAT}: graph needs inputs, outputs and nodes lists`);
  if (h.initializers.length > h.blobs.length) throw new FormatError(`${WHAT}: ${h.initializers.length} initializers but only ${h.blobs.length} blobs`);
  const initializers = h.initializers.map((entry, i) => readInitializer(entry, c.blob.bind(c), i));
  const graph: Graph = {
    name: g.name,
    inputs: g.inputs.map((v, i) => readInfo(v, `input ${i}`)),
    outputs: g.outputs.map((v, i) => readInfo(v, `output ${i}`)),
    nodes: g.nodes.map(readNode),
    initializers,
    ...(g.metadata !== undefined ? { metadata: readMetadata(g.metadata) } : {}),
  };
  validateGraph(graph);
  try {
    inferShapes(graph);
  } catch (err) {
    // A dtype that does not fit an op is a file that cannot be read, not a user mistake.
    if (err instanceof DTypeError) throw new FormatError(`${WHAT}: ${err.message}`);
    throw err;
  }
  return graph;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function readInfo(v: unknown, what: string): ValueInfo {
  if (!isObject(v) || typeof v.name !== "string" || !isDType(v.dtype) || !Array.isArray(v.shape)) {
    throw new FormatError(`${WHAT}: ${what} needs a name, a dtype and a shape`);
  }
  for (const d of v.shape) {
    const ok = typeof d === "string" ? d.length > 0 : Number.isSafeInteger(d) && (d as number) >= 0;
    if (!ok) throw new FormatError(`${WHAT}: ${what} '${v.name}' has an invalid dim ${JSON.stringify(d)}`);
  }
  return { name: v.name, dtype: v.dtype, shape: v.shape as (number | string)[] };
}

function decodeNumber(v: unknown, where: string): number {
  if (typeof v === "number") return v;
  if (isObject(v) && (v.$f === "Infinity" || v.$f === "-Infinity" || v.$f === "NaN")) return Number(v.$f);
  throw new FormatError(`${WHAT}: ${where} holds ${JSON.stringify(v)} where a number belongs`);
}

function readAttr(v: unknown, where: string): AttrValue {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (Array.isArray(v)) return v.map((x) => decodeNumber(x, where));
  return decodeNumber(v, where);
}

function readNode(v: unknown, i: number): GraphNode {
  const where = `node ${i}`;
  if (!isObject(v) || typeof v.op !== "string" || !Array.isArray(v.inputs) || !Array.isArray(v.outputs) || !isObject(v.attrs)) {
    throw new FormatError(`${WHAT}: ${where} needs op, inputs, outputs and attrs`);
  }
  if (![...v.inputs, ...v.outputs].every((n) => typeof n === "string"))
    throw new FormatError(`${WHAT}: ${where} (${v.op}) has a value name that is not a string`);
  if (v.name !== undefined && typeof v.name !== "string") throw new FormatError(`${WHAT}: ${where} has a name that is not a string`);
  const attrs: Record<string, AttrValue> = {};
  for (const [k, a] of Object.entries(v.attrs)) attrs[k] = readAttr(a, `${where} (${v.op}) attribute '${k}'`);
  return { op: v.op, inputs: v.inputs as string[], outputs: v.outputs as string[], attrs, ...(v.name !== undefined ? { name: v.name as string } : {}) };
}

function readInitializer(entry: unknown, blob: (i: number) => Uint8Array, i: number): Initializer {
  if (!isObject(entry) || typeof entry.name !== "string" || !isDType(entry.dtype) || !Array.isArray(entry.shape)) {
    throw new FormatError(`${WHAT}: initializer ${i} needs a name, a dtype and a shape`);
  }
  const shape = entry.shape as unknown[];
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) throw new FormatError(`${WHAT}: initializer '${entry.name}' has an invalid dim ${JSON.stringify(d)}`);
    count *= d as number;
  }
  const raw = blob(i);
  const expected = count * dtypeBytes(entry.dtype);
  if (raw.byteLength !== expected)
    throw new FormatError(
      `${WHAT}: initializer '${entry.name}' (${entry.dtype}[${shape.join(", ")}]) needs ${expected} bytes, its blob holds ${raw.byteLength}`,
    );
  return { name: entry.name, dtype: entry.dtype, shape: shape as number[], data: decodeHost(raw, entry.dtype, count) };
}

function readMetadata(v: unknown): Record<string, string> {
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== "string")) throw new FormatError(`${WHAT}: metadata must map names to strings`);
  return { ...(v as Record<string, string>) };
}
