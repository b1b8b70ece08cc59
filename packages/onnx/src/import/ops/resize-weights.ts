/**
 * The 1-D resampling maps behind ONNX Resize, computed on the host as in the ONNX reference: for
 * each output index, the input position it samples (resize-coordinates.ts), the neighbouring
 * taps (edge-clamped), and their coefficients (nearest, linear, cubic, with optional antialias
 * and exclude_outside). Resize is separable, so the importer applies one map per resized axis.
 */

import { sourceCoordinate, type AxisResize } from "./resize-coordinates.ts";

export type { AxisResize };

export type ResizeMode = "nearest" | "linear" | "cubic";

export interface ResizeSettings {
  readonly mode: ResizeMode;
  readonly coordinateMode: string;
  readonly nearestMode: string;
  readonly cubicA: number;
  readonly excludeOutside: boolean;
  readonly antialias: boolean;
  readonly extrapolationValue: number;
}

/** One output index: taps (input indices, already clamped) with coefficients, or the extrapolation value. */
export interface Sample {
  readonly taps: readonly number[];
  readonly coeffs: readonly number[];
  readonly extrapolated: boolean;
}

function nearestCoeffs(ratio: number, mode: string): number[] {
  if (Number.isInteger(ratio)) return [0, 1];
  switch (mode) {
    case "round_prefer_floor":
      return ratio <= 0.5 ? [1, 0] : [0, 1];
    case "round_prefer_ceil":
      return ratio < 0.5 ? [1, 0] : [0, 1];
    case "floor":
      return [1, 0];
    case "ceil":
      return [0, 1];
    default:
      throw new Error(`unknown nearest_mode '${mode}'`);
  }
}

function cubicKernel(x: number, a: number): number {
  const t = Math.abs(x);
  if (t <= 1) return (a + 2) * t ** 3 - (a + 3) * t * t + 1;
  if (t < 2) return a * t ** 3 - 5 * a * t * t + 8 * a * t - 4 * a;
  return 0;
}

function cubicCoeffs(ratio: number, a: number): number[] {
  return [cubicKernel(ratio + 1, a), cubicKernel(ratio, a), cubicKernel(1 - ratio, a), cubicKernel(2 - ratio, a)];
}

/** Antialiased kernels stretch by 1/scale when downsampling and renormalise. */
function antialiasCoeffs(ratio: number, scale: number, mode: "linear" | "cubic", a: number): number[] {
  const s = Math.min(scale, 1);
  const reach = mode === "linear" ? 1 : 2;
  const start = Math.floor(-reach / s) + 1;
  const end = 2 - start;
  const coeffs: number[] = [];
  for (let i = start; i < end; i++) {
    const arg = s * (i - ratio);
    coeffs.push(mode === "linear" ? Math.min(Math.max(1 - Math.abs(arg), 0), 1) : cubicKernel(arg, a));
  }
  const total = coeffs.reduce((p, c) => p + c, 0);
  return coeffs.map((c) => c / total);
}

/** The n indices of [0, limit) nearest to x, ties to the smaller, ascending. */
function nearestIndices(x: number, n: number, limit: number): number[] {
  const lo = Math.max(0, Math.floor(x) - n - 1);
  const hi = Math.min(limit, Math.floor(x) + n + 2);
  const candidates: number[] = [];
  for (let i = lo; i < hi; i++) candidates.push(i);
  if (candidates.length < n) for (let i = 0; i < limit; i++) if (i < lo || i >= hi) candidates.push(i);
  candidates.sort((p, q) => Math.abs(x - p) - Math.abs(x - q) || p - q);
  return candidates.slice(0, n).sort((p, q) => p - q);
}

export function axisSamples(axis: AxisResize, s: ResizeSettings): Sample[] {
  const out: Sample[] = [];
  for (let x = 0; x < axis.outputSize; x++) {
    const pos = sourceCoordinate(x, axis, s.coordinateMode);
    if (s.coordinateMode === "tf_crop_and_resize" && (pos < 0 || pos > axis.inputSize - 1)) {
      out.push({ taps: [], coeffs: [], extrapolated: true });
      continue;
    }
    const base = Math.floor(pos);
    // The reference prefers the left pixel: an exact integer position has ratio 1, not 0.
    const ratio = Number.isInteger(pos) ? 1 : pos - base;
    let coeffs: number[];
    if (s.mode === "nearest") coeffs = nearestCoeffs(ratio, s.nearestMode);
    else if (s.antialias) coeffs = antialiasCoeffs(ratio, axis.scale, s.mode, s.cubicA);
    else coeffs = s.mode === "linear" ? [1 - ratio, ratio] : cubicCoeffs(ratio, s.cubicA);
    const n = coeffs.length;
    const pad = Math.ceil(n / 2);
    const taps = nearestIndices(pos + pad, n, axis.inputSize + 2 * pad).map((i) => i - pad);
    if (s.excludeOutside) {
      taps.forEach((t, i) => {
        if (t < 0 || t >= axis.inputSize) coeffs[i] = 0;
      });
      const total = coeffs.reduce((p, c) => p + c, 0);
      coeffs = coeffs.map((c) => c / total);
    }
    out.push({ taps: taps.map((t) => Math.min(Math.max(t, 0), axis.inputSize - 1)), coeffs, extrapolated: false });
  }
  return out;
}
