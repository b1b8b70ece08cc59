import {
  hostArray,
  DTypeError,
  FormatError,
  float16BitsToFloat32,
  float32ToFloat16Bits as float32ToHalfBits,
  formatShape,
  type DType,
  type HostArray,
} from "@polychip/hal";
import { toNumber } from "./proto/codec.ts";
import { narrowDoubles } from "./narrow-doubles.ts";
import { decodeElement, packedBits, packedByteCount, unpackElements } from "./low-precision.ts";
import { DataType, type TensorProto } from "./proto/types.ts";

/** A tensor held on the host in one of the HAL's dtypes. */
export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: HostArray;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** Largest element count Polychip accepts for one tensor (typed arrays beyond this are not portable). */
const MAX_ELEMENTS = 2 ** 31 - 1;

const NAMES: Record<number, string> = {
  0: "UNDEFINED",
  1: "FLOAT",
  2: "UINT8",
  3: "INT8",
  4: "UINT16",
  5: "INT16",
  6: "INT32",
  7: "INT64",
  8: "STRING",
  9: "BOOL",
  10: "FLOAT16",
  11: "DOUBLE",
  12: "UINT32",
  13: "UINT64",
  14: "COMPLEX64",
  15: "COMPLEX128",
  16: "BFLOAT16",
  17: "FLOAT8E4M3FN",
  18: "FLOAT8E4M3FNUZ",
  19: "FLOAT8E5M2",
  20: "FLOAT8E5M2FNUZ",
  21: "UINT4",
  22: "INT4",
  23: "FLOAT4E2M1",
  24: "FLOAT8E8M0",
  25: "UINT2",
  26: "INT2",
};

export function onnxTypeName(t: number): string {
  return NAMES[t] ?? `type ${t}`;
}

/**
 * The HAL dtype an ONNX element type is held in. Integers wider than 32 bits narrow to int32
 * (values are range-checked), double narrows to float32, 16-bit ints widen to int32. The
 * low-precision types are held exactly (low-precision.ts): bfloat16, float8, float4 and e8m0 in
 * float32, int4/int2 in int8, uint4/uint2 in uint8; the importer remembers their ONNX type.
 */
export function dtypeForOnnx(t: number, what: string): DType {
  switch (t) {
    case DataType.FLOAT:
    case DataType.DOUBLE:
    case DataType.BFLOAT16:
    case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ:
    case DataType.FLOAT8E5M2:
    case DataType.FLOAT8E5M2FNUZ:
    case DataType.FLOAT4E2M1:
    case DataType.FLOAT8E8M0:
      return "float32";
    case DataType.FLOAT16:
      return "float16";
    case DataType.INT64:
    case DataType.INT32:
    case DataType.INT16:
    case DataType.UINT16:
    case DataType.UINT32:
    case DataType.UINT64:
      return "int32";
    case DataType.INT8:
    case DataType.INT4:
    case DataType.INT2:
      return "int8";
    case DataType.UINT8:
    case DataType.UINT4:
    case DataType.UINT2:
      return "uint8";
    case DataType.BOOL:
      return "bool";
    default:
      throw new DTypeError(
        `${what}: ONNX element type ${onnxTypeName(t)} is not supported (Polychip holds float32, float16, double and bfloat16/float8/float4/e8m0→float32, int4/int2/int8, uint4/uint2/uint8, int16/32/64→int32, bool)`,
      );
  }
}

/** The ONNX element type Polychip writes for a HAL dtype. */
export function onnxTypeForDType(dtype: DType): number {
  switch (dtype) {
    case "float32":
      return DataType.FLOAT;
    case "float16":
      return DataType.FLOAT16;
    case "int32":
      return DataType.INT32;
    case "int8":
      return DataType.INT8;
    case "uint8":
      return DataType.UINT8;
    case "bool":
      return DataType.BOOL;
  }
}

export function tensorDims(t: TensorProto, what: string): number[] {
  const dims = (t.dims ?? []).map(toNumber);
  let size = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new FormatError(`${what}: invalid dimension ${d} in shape ${formatShape(dims)}`);
    size *= d;
  }
  if (size > MAX_ELEMENTS) throw new FormatError(`${what}: shape ${formatShape(dims)} has ${size} elements, more than Polychip supports (${MAX_ELEMENTS})`);
  return dims;
}

function rawView(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

let halfTable: Float32Array | undefined;

/** A float16 bit pattern's value through a table built once: float16 models hold millions of weights. */
function halfValue(bits: number): number {
  halfTable ??= Float32Array.from({ length: 65536 }, (_, b) => float16BitsToFloat32(b));
  return halfTable[bits]!;
}

/**
 * The element values of a TensorProto as float64 numbers, in row-major order (int64 beyond 2^53
 * rounds; callers that narrow range-check). Used for tensors whose exact ONNX type matters
 * (expected outputs) and for integer narrowing.
 */
export function tensorValues(t: TensorProto, what: string): { dataType: number; dims: number[]; values: Float64Array } {
  const dataType = t.dataType ?? 0;
  const dims = tensorDims(t, what);
  const n = dims.reduce((a, b) => a * b, 1);
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length > 0)) {
    throw new FormatError(
      `${what}: tensor data is stored in an external file; read the model with readOnnxModel(path) from @polychip/onnx/node, or resolveExternalData(model, reader), to load it`,
    );
  }
  dtypeForOnnx(dataType, what);
  const raw = t.rawData && t.rawData.byteLength > 0 ? t.rawData : undefined;
  const values = new Float64Array(n);
  if (packedBits(dataType)) {
    // Packed 4-bit / 2-bit elements: raw_data, or int32_data holding one packed byte per entry.
    const bytes = raw ?? t.int32Data ?? [];
    const need = packedByteCount(dataType, n);
    if (bytes.length !== need)
      throw new FormatError(
        `${what}: ${raw ? "raw_data" : "int32_data"} holds ${bytes.length} ${raw ? "bytes" : "entries"} but shape ${formatShape(dims)} of ${onnxTypeName(dataType)} packs into ${need} bytes (${8 / packedBits(dataType)!} elements a byte)`,
      );
    unpackElements(dataType, bytes, n, values);
    return { dataType, dims, values };
  }
  const width: Record<number, number> = {
    1: 4,
    2: 1,
    3: 1,
    4: 2,
    5: 2,
    6: 4,
    7: 8,
    9: 1,
    10: 2,
    11: 8,
    12: 4,
    13: 8,
    16: 2,
    17: 1,
    18: 1,
    19: 1,
    20: 1,
    24: 1,
  };
  if (raw) {
    const w = width[dataType]!;
    if (raw.byteLength !== n * w)
      throw new FormatError(`${what}: raw_data holds ${raw.byteLength} bytes but shape ${formatShape(dims)} of ${onnxTypeName(dataType)} needs ${n * w}`);
    const v = rawView(raw);
    for (let i = 0; i < n; i++) {
      const o = i * w;
      switch (dataType) {
        case DataType.FLOAT:
          values[i] = v.getFloat32(o, true);
          break;
        case DataType.DOUBLE:
          values[i] = v.getFloat64(o, true);
          break;
        case DataType.FLOAT16:
          values[i] = halfValue(v.getUint16(o, true));
          break;
        case DataType.BFLOAT16:
          values[i] = decodeElement(DataType.BFLOAT16, v.getUint16(o, true));
          break;
        case DataType.UINT8:
        case DataType.BOOL:
          values[i] = v.getUint8(o);
          break;
        case DataType.INT8:
          values[i] = v.getInt8(o);
          break;
        case DataType.UINT16:
          values[i] = v.getUint16(o, true);
          break;
        case DataType.INT16:
          values[i] = v.getInt16(o, true);
          break;
        case DataType.INT32:
          values[i] = v.getInt32(o, true);
          break;
        case DataType.UINT32:
          values[i] = v.getUint32(o, true);
          break;
        case DataType.INT64:
          values[i] = Number(v.getBigInt64(o, true));
          break;
        case DataType.UINT64:
          values[i] = Number(v.getBigUint64(o, true));
          break;
        default:
          values[i] = decodeElement(dataType, v.getUint8(o));
      }
    }
    return { dataType, dims, values };
  }
  let source: ArrayLike<number>;
  switch (dataType) {
    case DataType.FLOAT:
      source = t.floatData ?? [];
      break;
    case DataType.DOUBLE:
      source = t.doubleData ?? [];
      break;
    case DataType.INT64:
      source = (t.int64Data ?? []).map(toNumber);
      break;
    case DataType.UINT32:
    case DataType.UINT64:
      source = (t.uint64Data ?? []).map(toNumber);
      break;
    case DataType.FLOAT16:
      source = (t.int32Data ?? []).map((b) => float16BitsToFloat32(b & 0xffff));
      break;
    case DataType.BFLOAT16:
      source = (t.int32Data ?? []).map((b) => decodeElement(DataType.BFLOAT16, b & 0xffff));
      break;
    case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ:
    case DataType.FLOAT8E5M2:
    case DataType.FLOAT8E5M2FNUZ:
    case DataType.FLOAT8E8M0:
      source = (t.int32Data ?? []).map((b) => decodeElement(dataType, b & 0xff));
      break;
    default:
      source = t.int32Data ?? [];
  }
  if (source.length !== n) throw new FormatError(`${what}: holds ${source.length} values but shape ${formatShape(dims)} needs ${n}`);
  for (let i = 0; i < n; i++) values[i] = source[i]!;
  return { dataType, dims, values };
}

/**
 * A TensorProto as a host tensor in the HAL dtype that holds it. Integers are range-checked into
 * int32; with `clampInt` (shape-like values: Slice ends, Clip bounds of ints) they saturate
 * instead, so INT64_MAX means "to the end" as ONNX intends.
 */
export function tensorFromProto(t: TensorProto, what: string, options: { clampInt?: boolean; onClamp?: () => void } = {}): HostTensor {
  const dataType = t.dataType ?? 0;
  const dtype = dtypeForOnnx(dataType, what);
  const raw = t.rawData && t.rawData.byteLength > 0 ? t.rawData : undefined;
  // Fast path for the common case: float32 weights in raw_data.
  if (dataType === DataType.FLOAT && raw && !(t.externalData && t.externalData.length > 0) && t.dataLocation !== 1) {
    const dims = tensorDims(t, what);
    const n = dims.reduce((a, b) => a * b, 1);
    if (raw.byteLength !== n * 4)
      throw new FormatError(`${what}: raw_data holds ${raw.byteLength} bytes but shape ${formatShape(dims)} of FLOAT needs ${n * 4}`);
    // Copy: protobufjs hands out Node Buffers that are views into a shared pool.
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    return { dtype, shape: dims, data: new Float32Array(copy.buffer, 0, n) };
  }
  // Byte-wide types in raw_data (int8 weights of quantized models) are the bytes themselves.
  const byteWide = dataType === DataType.INT8 || dataType === DataType.UINT8 || dataType === DataType.BOOL;
  if (byteWide && raw && !(t.externalData && t.externalData.length > 0) && t.dataLocation !== 1) {
    const dims = tensorDims(t, what);
    const n = dims.reduce((a, b) => a * b, 1);
    if (raw.byteLength !== n)
      throw new FormatError(`${what}: raw_data holds ${raw.byteLength} bytes but shape ${formatShape(dims)} of ${onnxTypeName(dataType)} needs ${n}`);
    const data = hostArray(dtype, n);
    data.set(dataType === DataType.INT8 ? new Int8Array(raw.buffer, raw.byteOffset, n) : raw);
    return { dtype, shape: dims, data };
  }
  const { dims, values } = tensorValues(t, what);
  const data = hostArray(dtype, values.length);
  if (dtype === "int32") {
    for (let i = 0; i < values.length; i++) {
      let v = values[i]!;
      if (v < INT32_MIN || v > INT32_MAX) {
        if (!options.clampInt)
          throw new DTypeError(`${what}: ${onnxTypeName(dataType)} value ${v} at index ${i} does not fit in int32, the widest integer Polychip holds`);
        v = v < 0 ? INT32_MIN : INT32_MAX;
        options.onClamp?.();
      }
      data[i] = v;
    }
  } else if (dataType === DataType.DOUBLE) data.set(narrowDoubles(values, what));
  else data.set(values);
  return { dtype, shape: dims, data };
}

/**
 * A host tensor as a TensorProto (raw_data, little-endian). `asInt64` writes int32 data as INT64,
 * which ONNX requires for shapes, axes, pads and repeats.
 */
export function tensorToProto(name: string, t: HostTensor, options: { asInt64?: boolean } = {}): TensorProto {
  const n = t.data.length;
  let raw: Uint8Array;
  let dataType = onnxTypeForDType(t.dtype);
  if (t.dtype === "int32" && options.asInt64) {
    dataType = DataType.INT64;
    const a = new BigInt64Array(n);
    for (let i = 0; i < n; i++) a[i] = BigInt(t.data[i]!);
    raw = new Uint8Array(a.buffer);
  } else if (t.dtype === "float16") {
    const v = new DataView(new ArrayBuffer(n * 2));
    for (let i = 0; i < n; i++) v.setUint16(i * 2, float32ToHalfBits(t.data[i]!), true);
    raw = new Uint8Array(v.buffer);
  } else {
    const copy = t.data.slice();
    raw = new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
  }
  return { name, dims: [...t.shape], dataType, rawData: raw };
}
