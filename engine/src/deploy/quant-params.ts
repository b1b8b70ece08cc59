import type { ActivationRange } from "./observers.ts";

const f32 = Math.fround;

/** Per-tensor activation quantisation: uint8, asymmetric (real = (q − zeroPoint) · scale). */
export interface ActivationParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/**
 * uint8 asymmetric parameters covering `range` (widened to include 0, so that 0 — padding, ReLU's
 * floor — is exactly representable). Why uint8 asymmetric rather than int8 symmetric: most
 * activations here come out of a ReLU and are never negative, so a symmetric int8 scale would
 * spend half its codes on values that never occur; with the range [0, max] the zero point is 0,
 * and the saturation at 0 of the requantisation *is* the ReLU, fused for free. Inputs (a
 * standardised image in [−0.8, 2.0]) are lopsided too. It is ONNX's QLinear default (u8 activations,
 * s8 weights).
 */
export function activationParams(range: ActivationRange): ActivationParams {
  const lo = Math.min(range.min, 0);
  const hi = Math.max(range.max, 0);
  if (!(hi > lo)) return { scale: 1, zeroPoint: 0 };
  const scale = f32((hi - lo) / 255);
  const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(-lo / scale)));
  return { scale, zeroPoint };
}

/**
 * Symmetric int8 weights with one scale per output channel (axis 0 of `shape`): scale[c] =
 * max|w[c]| / 127, q = round(w / scale) in [−127, 127]; zero points are 0, so the tensor unit
 * needs no weight-offset correction. Per-channel scales keep channels with small weights from
 * being rounded to a few levels by one large channel.
 */
export function quantizeWeightsPerChannel(data: ArrayLike<number>, shape: readonly number[]): { values: Int8Array; scales: Float32Array } {
  const channels = shape[0]!;
  const per = channels === 0 ? 0 : data.length / channels;
  const values = new Int8Array(data.length);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let i = 0; i < per; i++) m = Math.max(m, Math.abs(data[c * per + i]!));
    const scale = m > 0 ? f32(m / 127) : 1;
    scales[c] = scale;
    for (let i = 0; i < per; i++) values[c * per + i] = Math.max(-127, Math.min(127, roundHalfEven(f32(data[c * per + i]! / scale))));
  }
  return { values, scales };
}

/** A float bias as the int32 the accumulator adds: bias / (inputScale · weightScale[c]), the product in float32 as the HAL's reference does. */
export function quantizeBias(bias: ArrayLike<number>, inputScale: number, weightScales: Float32Array): Int32Array {
  const out = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const v = roundHalfEven(bias[c]! / f32(inputScale * weightScales[c]!));
    out[c] = Math.max(-2147483648, Math.min(2147483647, v));
  }
  return out;
}

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
