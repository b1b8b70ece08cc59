import { DataType } from "./proto/types.ts";

/**
 * ONNX's low-precision element types (bfloat16, the float8 family, float4, e8m0, 4- and 2-bit
 * integers) have no HAL dtype: Polychip holds each in a HAL dtype that represents every value
 * exactly (floats in float32, signed ints in int8, unsigned in uint8). This file knows their
 * encodings (decoding stored bits) and their value grids (rounding a number onto one, on the host).
 */

/** A float format with a sign bit, `exponentBits` and `mantissaBits` (bias 2^(e−1) − 1, or one more for the "UZ" kinds). */
export interface MiniFloat {
  readonly mantissaBits: number;
  /** Exponent of the smallest normal value. */
  readonly minExponent: number;
  /** Exponent of the largest binade. */
  readonly maxExponent: number;
  /** Largest finite value. */
  readonly max: number;
  /** What a cast without saturation gives past the largest value (and for ±Inf); float4 always saturates. */
  readonly overflow: "inf" | "nan" | "max";
  /** The "UZ" kinds have no negative zero (and one NaN, 0x80). */
  readonly unsignedZero: boolean;
}

export const MINI_FLOATS: Readonly<Partial<Record<number, MiniFloat>>> = {
  [DataType.BFLOAT16]: { mantissaBits: 7, minExponent: -126, maxExponent: 127, max: (2 - 2 ** -7) * 2 ** 127, overflow: "inf", unsignedZero: false },
  [DataType.FLOAT8E4M3FN]: { mantissaBits: 3, minExponent: -6, maxExponent: 8, max: 448, overflow: "nan", unsignedZero: false },
  [DataType.FLOAT8E4M3FNUZ]: { mantissaBits: 3, minExponent: -7, maxExponent: 7, max: 240, overflow: "nan", unsignedZero: true },
  [DataType.FLOAT8E5M2]: { mantissaBits: 2, minExponent: -14, maxExponent: 15, max: 57344, overflow: "inf", unsignedZero: false },
  [DataType.FLOAT8E5M2FNUZ]: { mantissaBits: 2, minExponent: -15, maxExponent: 15, max: 57344, overflow: "nan", unsignedZero: true },
  [DataType.FLOAT4E2M1]: { mantissaBits: 1, minExponent: 0, maxExponent: 2, max: 6, overflow: "max", unsignedZero: false },
};

/** The packed integer types: bits per element, and whether they are signed. */
export const PACKED_INTS: Readonly<Partial<Record<number, { readonly bits: 2 | 4; readonly signed: boolean }>>> = {
  [DataType.UINT4]: { bits: 4, signed: false },
  [DataType.INT4]: { bits: 4, signed: true },
  [DataType.UINT2]: { bits: 2, signed: false },
  [DataType.INT2]: { bits: 2, signed: true },
};

/** Bits per element of a packed type (4-bit and 2-bit ints, float4), else undefined. */
export function packedBits(type: number): 2 | 4 | undefined {
  if (type === DataType.FLOAT4E2M1) return 4;
  return PACKED_INTS[type]?.bits;
}

/** The integer range of a packed int type. */
export function packedRange(type: number): readonly [number, number] | undefined {
  const p = PACKED_INTS[type];
  if (!p) return undefined;
  return p.signed ? [-(2 ** (p.bits - 1)), 2 ** (p.bits - 1) - 1] : [0, 2 ** p.bits - 1];
}

/** Whether `type` is one of the float types held in float32 whose values lie on a coarser grid. */
export function isHeldFloat(type: number): boolean {
  return MINI_FLOATS[type] !== undefined || type === DataType.FLOAT8E8M0;
}

/** The value of one stored element of a low-precision type (`bits` as stored: a byte, a nibble, or 16 bits for bfloat16). */
export function decodeElement(type: number, bits: number): number {
  switch (type) {
    case DataType.BFLOAT16:
      return bfloat16Value(bits);
    case DataType.FLOAT8E4M3FN:
      return (bits & 0x7f) === 0x7f ? NaN : miniFloatValue(bits, 4, 3, 7);
    case DataType.FLOAT8E4M3FNUZ:
      return bits === 0x80 ? NaN : miniFloatValue(bits, 4, 3, 8);
    case DataType.FLOAT8E5M2:
      if ((bits & 0x7c) === 0x7c) return (bits & 0x03) === 0 ? (bits & 0x80 ? -Infinity : Infinity) : NaN;
      return miniFloatValue(bits, 5, 2, 15);
    case DataType.FLOAT8E5M2FNUZ:
      return bits === 0x80 ? NaN : miniFloatValue(bits, 5, 2, 16);
    case DataType.FLOAT4E2M1:
      return miniFloatValue(bits, 2, 1, 1);
    case DataType.FLOAT8E8M0:
      return bits === 0xff ? NaN : 2 ** (bits - 127);
  }
  const packed = PACKED_INTS[type];
  if (packed) return packed.signed && bits >= 2 ** (packed.bits - 1) ? bits - 2 ** packed.bits : bits;
  throw new Error(`decodeElement: ${type} is not a low-precision type`);
}

function miniFloatValue(bits: number, exponentBits: number, mantissaBits: number, bias: number): number {
  const sign = (bits >> (exponentBits + mantissaBits)) & 1 ? -1 : 1;
  const exponent = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
  const mantissa = bits & ((1 << mantissaBits) - 1);
  const scale = 2 ** mantissaBits;
  return exponent === 0 ? sign * (mantissa / scale) * 2 ** (1 - bias) : sign * (1 + mantissa / scale) * 2 ** (exponent - bias);
}

const bfloatBits = new Uint32Array(1);
const bfloatValueView = new Float32Array(bfloatBits.buffer);

function bfloat16Value(bits: number): number {
  bfloatBits[0] = (bits & 0xffff) << 16;
  return bfloatValueView[0]!;
}

/**
 * The elements of packed storage (two 4-bit or four 2-bit elements a byte, the first in the low
 * bits), decoded. `bytes` must hold exactly ceil(n·bits/8) bytes; the caller says why if not.
 */
export function unpackElements(type: number, bytes: ArrayLike<number>, n: number, out: Float64Array): void {
  const bits = packedBits(type)!;
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  for (let i = 0; i < n; i++) out[i] = decodeElement(type, (bytes[Math.floor(i / perByte)]! >> ((i % perByte) * bits)) & mask);
}

/** Bytes a tensor of `n` elements of a packed type takes. */
export function packedByteCount(type: number, n: number): number {
  return Math.ceil((n * packedBits(type)!) / 8);
}

const f32 = new Float32Array(1);

/**
 * `x` rounded onto a float format's grid as ONNX's Cast does (round half to even; with `saturate`
 * values past the largest, and ±Inf, become ±max; without, they become the format's overflow).
 * Float4 has no NaN: ONNX's reference turns NaN into −0 there (its float4 notes say 6).
 */
export function roundToMiniFloat(x: number, format: MiniFloat, saturate: boolean): number {
  f32[0] = x;
  x = f32[0]!;
  if (Number.isNaN(x)) return format.overflow === "max" ? -0 : NaN;
  const a = Math.abs(x);
  let q: number;
  if (a === Infinity) q = x;
  else {
    const e = a === 0 ? format.minExponent : Math.min(Math.max(Math.floor(Math.log2(a)), format.minExponent), format.maxExponent);
    // Math.log2 may land one binade off at the edges: settle on the binade that holds a.
    const settled = a !== 0 && e > format.minExponent && 2 ** e > a ? e - 1 : a !== 0 && e < format.maxExponent && 2 ** (e + 1) <= a ? e + 1 : e;
    const ulp = 2 ** (settled - format.mantissaBits);
    q = roundHalfEven(x / ulp) * ulp;
  }
  if (Math.abs(q) > format.max) {
    if (saturate || format.overflow === "max") q = x < 0 ? -format.max : format.max;
    else q = format.overflow === "inf" ? (x < 0 ? -Infinity : Infinity) : NaN;
  }
  return format.unsignedZero && q === 0 ? 0 : q;
}

export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r === 0 && v < 0 ? -0 : r;
}

/** Whether `v` is exactly a value of ONNX type `type` (a held value that claims that type must be). */
export function isValueOf(type: number, v: number): boolean {
  if (Number.isNaN(v)) return type !== DataType.FLOAT4E2M1;
  const format = MINI_FLOATS[type];
  if (format) return roundToMiniFloat(v, format, false) === v;
  if (type === DataType.FLOAT8E8M0) return v > 0 && Number.isFinite(v) && Number.isInteger(Math.log2(v)) && Math.abs(Math.log2(v)) <= 127;
  const range = packedRange(type);
  if (range) return Number.isInteger(v) && v >= range[0] && v <= range[1];
  return true;
}

/** Whether values of ONNX type `type` are held in a wider dtype (and must lie on the type's grid). */
export function isHeldType(type: number): boolean {
  return isHeldFloat(type) || PACKED_INTS[type] !== undefined;
}

/** The index of the first value that is not a value of held type `type`, or -1 (always -1 for other types). */
export function firstOffGrid(type: number, data: ArrayLike<number>): number {
  if (!isHeldType(type)) return -1;
  for (let i = 0; i < data.length; i++) if (!isValueOf(type, data[i]!)) return i;
  return -1;
}
