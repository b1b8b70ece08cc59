import type { DeviceBuffer, DType } from "@polychip/hal";

/** Typed arrays over a buffer's storage: float16 as its IEEE half bits, bool as 0/1 bytes. */
export type StorageArray = Float32Array | Uint16Array | Int32Array | Int8Array | Uint8Array;

/**
 * A block of host memory standing in for device memory (a simulator's DRAM, a CPU-visible heap).
 * The backing store is padded to 8 bytes so every dtype's typed array can view it whole.
 */
export class HostBuffer implements DeviceBuffer {
  readonly data: Uint8Array;
  freed = false;
  private readonly arrays = new Map<DType, StorageArray>();

  constructor(
    readonly device: string,
    readonly bytes: number,
  ) {
    this.data = new Uint8Array(new ArrayBuffer(Math.ceil(bytes / 8) * 8), 0, bytes);
  }

  /** The whole buffer as the storage array of `dtype`; view offsets and strides index into it. */
  storage(dtype: DType): StorageArray {
    let array = this.arrays.get(dtype);
    if (!array) {
      const ab = this.data.buffer as ArrayBuffer;
      array = storageArrayOver(ab, dtype);
      this.arrays.set(dtype, array);
    }
    return array;
  }
}

function storageArrayOver(ab: ArrayBuffer, dtype: DType): StorageArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(ab);
    case "float16":
      return new Uint16Array(ab);
    case "int32":
      return new Int32Array(ab);
    case "int8":
      return new Int8Array(ab);
    case "uint8":
    case "bool":
      return new Uint8Array(ab);
  }
}

/** A fresh storage array of `length` elements of `dtype`. */
export function storageArray(dtype: DType, length: number): StorageArray {
  return storageArrayOver(new ArrayBuffer(Math.ceil((length * bytesPerElement(dtype)) / 8) * 8), dtype).subarray(0, length);
}

function bytesPerElement(dtype: DType): number {
  return dtype === "float32" || dtype === "int32" ? 4 : dtype === "float16" ? 2 : 1;
}
