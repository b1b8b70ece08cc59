import { DTypeError } from "@polychip/hal";

/**
 * ONNX doubles as the float32 Polychip holds them. A finite double past float32's range would
 * become ±Infinity and flow on as if it were data, so it is an error naming where it came from;
 * doubles below float32's smallest subnormal round to zero as float32 arithmetic would.
 */
export function narrowDoubles(values: ArrayLike<number>, what: string): Float32Array {
  const out = Float32Array.from(values);
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    if ((v === Infinity || v === -Infinity) && Number.isFinite(values[i]!))
      throw new DTypeError(`${what}: double value ${values[i]} at index ${i} is outside float32's range (±3.4e38); Polychip computes ONNX doubles in float32`);
  }
  return out;
}
