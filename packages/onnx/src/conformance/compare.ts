import type { DType } from "@polychip/hal";
import { DataType } from "../proto/types.ts";
import { firstOffGrid } from "../low-precision.ts";
import { onnxTypeName } from "../tensor.ts";

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-5 };

export interface Comparison {
  readonly ok: boolean;
  /** Largest |got − expected| over finite pairs (0 when everything matched exactly). */
  readonly maxAbsError: number;
  readonly reason?: string;
}

/**
 * ONNX element types each HAL dtype may stand for (int64 is held as int32, double as float32, and
 * the low-precision types as low-precision.ts says: their values are checked to lie on the type's grid).
 */
const COMPATIBLE: Record<DType, number[]> = {
  float32: [
    DataType.FLOAT,
    DataType.DOUBLE,
    DataType.BFLOAT16,
    DataType.FLOAT8E4M3FN,
    DataType.FLOAT8E4M3FNUZ,
    DataType.FLOAT8E5M2,
    DataType.FLOAT8E5M2FNUZ,
    DataType.FLOAT4E2M1,
    DataType.FLOAT8E8M0,
  ],
  float16: [DataType.FLOAT16],
  int32: [DataType.INT32, DataType.INT64, DataType.INT16, DataType.UINT16, DataType.UINT32, DataType.UINT64],
  int8: [DataType.INT8, DataType.INT4, DataType.INT2],
  uint8: [DataType.UINT8, DataType.UINT4, DataType.UINT2],
  bool: [DataType.BOOL],
};

/**
 * Compares an output with the expected tensor: same shape, a compatible dtype, and every element
 * within |got − exp| ≤ atol + rtol·|exp| (NaN matches NaN, infinities must match exactly).
 */
export function compareTensors(
  got: { dtype: DType; shape: readonly number[]; data: ArrayLike<number> },
  expected: { dataType: number; dims: readonly number[]; values: ArrayLike<number> },
  tol: Tolerance,
): Comparison {
  if (!COMPATIBLE[got.dtype].includes(expected.dataType)) {
    return { ok: false, maxAbsError: NaN, reason: `dtype ${got.dtype} does not match expected ${onnxTypeName(expected.dataType)}` };
  }
  if (got.shape.length !== expected.dims.length || got.shape.some((d, i) => d !== expected.dims[i])) {
    return { ok: false, maxAbsError: NaN, reason: `shape [${got.shape.join(", ")}] does not match expected [${expected.dims.join(", ")}]` };
  }
  const stray = firstOffGrid(expected.dataType, got.data);
  if (stray >= 0) {
    return {
      ok: false,
      maxAbsError: NaN,
      reason: `element ${stray}: ${got.data[stray]} (held in ${got.dtype}) is not a ${onnxTypeName(expected.dataType)} value`,
    };
  }
  let maxAbs = 0;
  let bad = -1;
  for (let i = 0; i < expected.values.length; i++) {
    const g = got.data[i]!;
    const e = expected.values[i]!;
    if (g === e || (Number.isNaN(g) && Number.isNaN(e))) continue;
    const err = Math.abs(g - e);
    if (Number.isFinite(err)) maxAbs = Math.max(maxAbs, err);
    else maxAbs = Infinity;
    // Infinities (and NaN against a number) only match exactly, which the test above already allowed.
    const within = Number.isFinite(g) && Number.isFinite(e) && err <= tol.atol + tol.rtol * Math.abs(e);
    if (!within && bad < 0) bad = i;
  }
  if (bad >= 0) {
    return {
      ok: false,
      maxAbsError: maxAbs,
      reason: `element ${bad}: got ${got.data[bad]}, expected ${expected.values[bad]} (max abs error ${maxAbs.toExponential(3)})`,
    };
  }
  return { ok: true, maxAbsError: maxAbs };
}
