import type { DType } from "@polychip/hal";

/**
 * The HAL's cast rule for one value going into `to`, as the number the output array should hold:
 * float→int truncates toward zero with NaN→0; int8/uint8 saturate; int32 wraps modulo 2^32 (the
 * Int32Array store does the truncation and the wrap); bool is x != 0 (so NaN is true).
 * float16 rounding happens when the output is committed.
 */
export function converterTo(to: DType): (value: number) => number {
  switch (to) {
    case "float32":
    case "float16":
    case "int32":
      return (v) => v;
    case "int8":
      return (v) => (v !== v ? 0 : v >= 127 ? 127 : v <= -128 ? -128 : Math.trunc(v));
    case "uint8":
      return (v) => (v !== v ? 0 : v >= 255 ? 255 : v <= 0 ? 0 : Math.trunc(v));
    case "bool":
      return (v) => (v !== 0 ? 1 : 0);
  }
}

/** A scalar attribute (fill value, pad value) converted by the cast rule. */
export function castScalar(value: number, to: DType): number {
  return converterTo(to)(value);
}

/** bool storage is 0/1, but a byte written from outside could hold anything: read any nonzero as true. */
export function truthy(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] !== 0 ? 1 : 0;
  return out;
}
