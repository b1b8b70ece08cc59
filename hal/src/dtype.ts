/** Element types every device speaks about. A device lists the subset it supports in its capabilities. */
export type DType = "float32" | "float16" | "int32" | "int8" | "uint8" | "bool";

export const DTYPES: readonly DType[] = ["float32", "float16", "int32", "int8", "uint8", "bool"];

const BYTES: Record<DType, number> = { float32: 4, float16: 2, int32: 4, int8: 1, uint8: 1, bool: 1 };

export function dtypeBytes(dtype: DType): number {
  return BYTES[dtype];
}

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float16";
}

export function isDType(value: unknown): value is DType {
  return typeof value === "string" && (DTYPES as readonly string[]).includes(value);
}

/**
 * The typed array a host uses to hold values of a dtype. float16 is held as float32 on the host
 * (values already rounded to half precision), so host code never needs a Float16Array.
 */
export type HostArray = Float32Array | Int32Array | Int8Array | Uint8Array;

export function hostArray(dtype: DType, length: number): HostArray {
  switch (dtype) {
    case "float32":
    case "float16":
      return new Float32Array(length);
    case "int32":
      return new Int32Array(length);
    case "int8":
      return new Int8Array(length);
    case "uint8":
    case "bool":
      return new Uint8Array(length);
  }
}

/** Result dtype of mixing two dtypes in arithmetic, PyTorch-style (float wins, wider wins). */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  const rank: DType[] = ["bool", "uint8", "int8", "int32", "float16", "float32"];
  if ((a === "uint8" && b === "int8") || (a === "int8" && b === "uint8")) return "int32";
  return rank.indexOf(a) > rank.indexOf(b) ? a : b;
}
