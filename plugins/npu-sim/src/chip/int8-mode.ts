import type { TensorMode } from "./tensor-unit.ts";
import { roundHalfEven, saturate } from "./numerics.ts";

export interface Int8Requantisation {
  /** Zero point subtracted from every activation as it lands on chip. */
  readonly inputZero: number;
  /** Weight zero point per output channel / column (0 for symmetric weights). */
  readonly weightZero: (channel: number) => number;
  /** Real multiplier inputScale·weightScale[c]/outputScale per output channel / column. */
  readonly multiplier: (channel: number) => number;
  readonly outputZero: number;
  readonly outputRange: readonly [number, number];
  /** int32 bias per output channel (in units of inputScale·weightScale[c]). */
  readonly bias?: Float64Array;
  readonly relu: boolean;
}

/**
 * int8 on the tensor unit: (x - xZero)·(w - wZero[c]) products summed in a wrapping int32
 * accumulator, plus the int32 bias, then requantised: round half to even of acc·multiplier[c],
 * plus the output zero point, a fused ReLU clamping at the zero point (real 0), and saturation.
 */
export function int8Mode(q: Int8Requantisation): TensorMode {
  const [lo, hi] = q.outputRange;
  return {
    int8: true,
    inBytes: 1,
    weightBytes: 1,
    outBytes: 1,
    activation: (v) => v - q.inputZero,
    weight: (v, c) => v - q.weightZero(c),
    accumulate: (acc, a, w) => (acc + a * w) | 0,
    finish: (acc, c) => {
      const withBias = q.bias ? (acc + q.bias[c]!) | 0 : acc;
      let v = roundHalfEven(withBias * q.multiplier(c)) + q.outputZero;
      if (q.relu && v < q.outputZero) v = q.outputZero;
      return saturate(v, lo, hi);
    },
  };
}
