import type { DType } from "@polychip/hal";
import { encodeModel } from "../proto/codec.ts";
import {
  AttributeType,
  DataType,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "../proto/types.ts";
import { onnxTypeForDType, tensorToProto } from "../tensor.ts";

/** Small ONNX models for tests, written with the package's own encoder. */
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<
    string,
    number | string | number[] | { floats: number[] } | { float: number } | { strings: string[] } | { tensor: TensorProto } | { graph: GraphSpec }
  >;
  domain?: string;
  name?: string;
}

/** A graph: a model's, or a subgraph held by an attribute (If branches, Loop and Scan bodies). */
export interface GraphSpec {
  inputs: { name: string; type: number | DType | "int64"; shape?: (number | string)[] }[];
  outputs: { name: string; type: number | DType | "int64"; shape?: (number | string)[] }[];
  nodes: NodeSpec[];
  initializers?: TensorProto[];
}

export interface ModelSpec extends GraphSpec {
  opset: number;
  /** Opsets of other domains the nodes use (com.microsoft, ...). */
  domains?: Record<string, number>;
  inputs: { name: string; type: number | DType | "int64"; shape: (number | string)[] }[];
}

const typeCode = (t: number | DType | "int64") => (typeof t === "number" ? t : t === "int64" ? DataType.INT64 : onnxTypeForDType(t));

function valueInfo(v: { name: string; type: number | DType | "int64"; shape?: (number | string)[] }): ValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: typeCode(v.type),
        ...(v.shape ? { shape: { dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } : {}),
      },
    },
  };
}

function attr(name: string, v: NonNullable<NodeSpec["attrs"]>[string]): AttributeProto {
  if (typeof v === "number") return Number.isInteger(v) ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v };
  if (typeof v === "string") return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if ("floats" in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  if ("float" in v) return { name, type: AttributeType.FLOAT, f: v.float };
  if ("strings" in v) return { name, type: AttributeType.STRINGS, strings: v.strings.map((x) => new TextEncoder().encode(x)) };
  if ("graph" in v) return { name, type: AttributeType.GRAPH, g: graphProto(name, v.graph) };
  return { name, type: AttributeType.TENSOR, t: v.tensor };
}

function graphProto(name: string, spec: GraphSpec): GraphProto {
  const node: NodeProto[] = spec.nodes.map((n, i) => ({
    opType: n.op,
    input: n.inputs,
    output: n.outputs,
    name: n.name ?? `${n.op}_${i}`,
    ...(n.domain ? { domain: n.domain } : {}),
    attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
  }));
  return { name, node, input: spec.inputs.map(valueInfo), output: spec.outputs.map(valueInfo), initializer: spec.initializers ?? [] };
}

export function modelProto(spec: ModelSpec): ModelProto {
  return {
    irVersion: 8,
    producerName: "polychip-test",
    opsetImport: [{ domain: "", version: spec.opset }, ...Object.entries(spec.domains ?? {}).map(([domain, version]) => ({ domain, version }))],
    graph: graphProto("test", spec),
  };
}

export function buildModel(spec: ModelSpec): Uint8Array {
  return encodeModel(modelProto(spec));
}

/** An initializer from plain numbers (int64 written as INT64 raw data). */
export function initializer(name: string, values: number[], shape: number[], type: "float32" | "int64" | "int32" | "bool" = "float32"): TensorProto {
  if (type === "int64") {
    const big = new BigInt64Array(values.map((v) => BigInt(v)));
    return { name, dims: shape, dataType: DataType.INT64, rawData: new Uint8Array(big.buffer) };
  }
  const data = type === "float32" ? Float32Array.from(values) : type === "int32" ? Int32Array.from(values) : Uint8Array.from(values);
  return tensorToProto(name, { dtype: type, shape, data });
}
