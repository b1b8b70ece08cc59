import type { DType } from "@polychip/hal";

const RANGES: Partial<Record<DType, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int32: [-2147483648, 2147483647],
};

/** Clamps an integer result into the range of an integer dtype (hardware saturation); NaN becomes 0. Floats pass through. */
export function saturate(value: number, dtype: DType): number {
  const range = RANGES[dtype];
  if (!range) return value;
  if (value !== value) return 0;
  return value < range[0] ? range[0] : value > range[1] ? range[1] : value;
}

/** Rounds to the nearest integer, ties to even, keeping the sign of zero (IEEE roundTiesToEven, numpy.rint, ONNX QuantizeLinear). */
export function roundHalfToEven(value: number): number {
  const r = Math.round(value); // ties go up
  return r - value === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The HAL cast rule for one value, as the number to store in a `to` typed array: float to
 * integer truncates toward zero with NaN → 0; int8 and uint8 saturate; int32 wraps modulo 2^32
 * (the Int32Array store does it); bool is x != 0, so NaN is true.
 */
export function castValue(value: number, to: DType): number {
  switch (to) {
    case "float32":
    case "float16":
    case "int32":
      return value;
    case "int8":
    case "uint8":
      return saturate(Math.trunc(value), to);
    case "bool":
      return value !== 0 ? 1 : 0;
  }
}
