import { float16BitsToFloat32, float32ToFloat16Bits, hostArray, sizeOf, type DType, type HostArray, type Shape } from "@polychip/hal";

/** Host values → the bytes a device buffer holds for `dtype` (float16 as half bits, bool as 0/1 bytes). */
export function encodeHost(values: ArrayLike<number>, dtype: DType): Uint8Array {
  const n = values.length;
  switch (dtype) {
    case "float32": {
      const a = values instanceof Float32Array ? values : Float32Array.from(values);
      return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    }
    case "float16": {
      const a = new Uint16Array(n);
      for (let i = 0; i < n; i++) a[i] = float32ToFloat16Bits(values[i]!);
      return new Uint8Array(a.buffer);
    }
    case "int32": {
      const a = values instanceof Int32Array ? values : Int32Array.from(values, (v) => v | 0);
      return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    }
    case "int8": {
      const a = Int8Array.from(values);
      return new Uint8Array(a.buffer);
    }
    case "uint8":
      return values instanceof Uint8Array ? values : Uint8Array.from(values);
    case "bool":
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

/** Device bytes → host values (a fresh array the caller owns). */
export function decodeHost(bytes: Uint8Array, dtype: DType, length: number): HostArray {
  const copy = ownedCopy(bytes, length * (dtype === "float16" ? 2 : dtype === "float32" || dtype === "int32" ? 4 : 1));
  switch (dtype) {
    case "float32":
      return new Float32Array(copy.buffer, 0, length);
    case "float16": {
      const bits = new Uint16Array(copy.buffer, 0, length);
      const out = new Float32Array(length);
      for (let i = 0; i < length; i++) out[i] = float16BitsToFloat32(bits[i]!);
      return out;
    }
    case "int32":
      return new Int32Array(copy.buffer, 0, length);
    case "int8":
      return new Int8Array(copy.buffer, 0, length);
    case "uint8":
    case "bool":
      return copy;
  }
}

export function emptyHost(dtype: DType, shape: Shape): HostArray {
  return hostArray(dtype, sizeOf(shape));
}

/**
 * A copy of `bytes` in a fresh ArrayBuffer that starts at offset 0 (so typed arrays of any element
 * size can be laid over it). Not `.slice()`: on a Node Buffer that is a view, not a copy.
 */
export function ownedCopy(bytes: Uint8Array, byteLength = bytes.byteLength): Uint8Array {
  const copy = new Uint8Array(byteLength);
  copy.set(bytes.subarray(0, byteLength));
  return copy;
}
