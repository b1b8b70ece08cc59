import { FormatError } from "@polychip/hal";
import protobuf from "protobufjs/light.js";
import { ONNX_SCHEMA } from "./schema.ts";
import type { Int64, ModelProto, OptionalProto, SequenceProto, TensorProto } from "./types.ts";

const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);
const modelType = root.lookupType("onnx.ModelProto");
const tensorType = root.lookupType("onnx.TensorProto");
const sequenceType = root.lookupType("onnx.SequenceProto");
const optionalType = root.lookupType("onnx.OptionalProto");

function decodeWith<T>(type: protobuf.Type, bytes: Uint8Array, what: string): T {
  if (!(bytes instanceof Uint8Array)) throw new FormatError(`${what}: expected bytes (Uint8Array), got ${typeof bytes}`);
  try {
    return type.decode(bytes) as unknown as T;
  } catch (err) {
    // protobufjs throws plain Errors/RangeErrors (bad wire type, length past the end, deep nesting).
    throw new FormatError(`${what}: not a valid ONNX protobuf (${bytes.byteLength} bytes): ${(err as Error)?.message ?? err}`);
  }
}

/** Decodes an ONNX model file. Malformed bytes give a FormatError. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return decodeWith<ModelProto>(modelType, bytes, "ONNX model");
}

/** Decodes a serialized TensorProto (the backend tests' input_N.pb / output_N.pb). */
export function decodeTensorProto(bytes: Uint8Array): TensorProto {
  return decodeWith<TensorProto>(tensorType, bytes, "ONNX tensor");
}

/** Decodes a serialized SequenceProto (a backend test's sequence input or output). */
export function decodeSequenceProto(bytes: Uint8Array): SequenceProto {
  return decodeWith<SequenceProto>(sequenceType, bytes, "ONNX sequence");
}

/** Decodes a serialized OptionalProto (a backend test's optional input or output). */
export function decodeOptionalProto(bytes: Uint8Array): OptionalProto {
  return decodeWith<OptionalProto>(optionalType, bytes, "ONNX optional");
}

export function encodeModel(model: ModelProto): Uint8Array {
  return plainBytes(modelType.encode(modelType.fromObject(model as Record<string, unknown>)).finish());
}

export function encodeTensorProto(tensor: TensorProto): Uint8Array {
  return plainBytes(tensorType.encode(tensorType.fromObject(tensor as Record<string, unknown>)).finish());
}

/** protobufjs returns a Node Buffer (possibly in a shared pool, with view-returning slice()): hand out a plain copy. */
function plainBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

/** An int64 field as a JS number (exact up to 2^53; beyond that rounded, which callers range-check). */
export function toNumber(v: Int64 | undefined | null): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number") return v;
  if (typeof v === "object" && typeof v.toNumber === "function") return v.toNumber();
  return Number(v);
}
