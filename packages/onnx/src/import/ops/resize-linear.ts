import type { ImportContext } from "../context.ts";
import { sourceCoordinate, type AxisResize } from "./resize-coordinates.ts";

/**
 * Linear Resize as onnxruntime computes it, so that float32 results agree bit for bit (a
 * quantizing op after a Resize turns one-ulp differences into whole quantization steps).
 *
 * onnxruntime does not interpolate axis by axis: it interpolates 2 axes (H, W: a rank-2 input,
 * NCHW, or NHWC) or 3 (D, H, W: rank 3, NCDHW) at once, each output the sum of its 4 or 8
 * corners, every corner's weight the float32 product of the per-axis weights (W's first, then H's,
 * then D's) and the corners added in order with W varying fastest:
 *   y = wx₀·wy₀·X₀₀ + wx₁·wy₀·X₀₁ + wx₀·wy₁·X₁₀ + wx₁·wy₁·X₁₁   (left to right, float32).
 * Each axis's taps are the floor of the clamped position and the next index, weighted by the
 * distance to the other tap; an axis of the group with nothing to resize (scale 1) still takes part,
 * and where both taps clamp to the same index each weighs 0.5. The lowering below builds exactly
 * that from gathers, muls and adds, so every device runs it; a device that contracts a mul and an
 * add into a fused multiply-add (WGSL compilers may) can differ by an ulp.
 *
 * Where onnxruntime departs from the ONNX specification the specification wins (besides the
 * coordinate cases in resize-coordinates.ts): onnxruntime copies the input whenever the output
 * shape equals the input's, even when a scale such as 1.3 on a dim of 2 moves the sampling
 * positions; this resamples as the specification says.
 */

/** One axis of the group: per output index, the lower and upper tap, their weights, and whether the roi leaves the input there. */
export interface LinearAxis {
  readonly axis: number;
  readonly lower: Int32Array;
  readonly upper: Int32Array;
  readonly lowerWeight: Float32Array;
  readonly upperWeight: Float32Array;
  readonly outside: Uint8Array | undefined;
}

export function linearAxis(axis: number, resize: AxisResize, coordinateMode: string): LinearAxis {
  const n = resize.outputSize;
  const last = resize.inputSize - 1;
  const lower = new Int32Array(n);
  const upper = new Int32Array(n);
  const lowerWeight = new Float32Array(n);
  const upperWeight = new Float32Array(n);
  const outside = coordinateMode === "tf_crop_and_resize" ? new Uint8Array(n) : undefined;
  for (let x = 0; x < n; x++) {
    const position = sourceCoordinate(x, resize, coordinateMode);
    if (outside && (position < 0 || position > last)) outside[x] = 1;
    const p = Math.min(Math.max(position, 0), last);
    const lo = Math.min(Math.trunc(p), last);
    const hi = Math.min(lo + 1, last);
    lower[x] = lo;
    upper[x] = hi;
    lowerWeight[x] = lo === hi ? 0.5 : Math.abs(p - hi);
    upperWeight[x] = lo === hi ? 0.5 : Math.abs(p - lo);
  }
  return { axis, lower, upper, lowerWeight, upperWeight, outside: outside?.some((v) => v) ? outside : undefined };
}

/** True when the axis maps every output index to the same input index with weight 1 (nothing to do, if alone). */
export function isIdentityAxis(a: LinearAxis, inputSize: number): boolean {
  return a.lower.length === inputSize && !a.outside && a.lower.every((lo, i) => lo === i && a.lowerWeight[i] === 1 && a.upperWeight[i] === 0);
}

/**
 * The axes onnxruntime interpolates together, outermost first, for a rank and per-axis scales;
 * undefined for the layouts it refuses (then the caller picks the resized axes itself).
 */
export function onnxruntimeGroup(scales: readonly number[]): number[] | undefined {
  const ones = (...axes: number[]) => axes.every((d) => scales[d] === 1);
  switch (scales.length) {
    case 2:
      return [0, 1];
    case 3:
      return [0, 1, 2];
    case 4:
      return ones(0, 1) ? [2, 3] : ones(0, 3) ? [1, 2] : undefined;
    case 5:
      return ones(0, 1) ? [2, 3, 4] : undefined;
    default:
      return undefined;
  }
}

/**
 * Σ over the 2^k corners of `group` (outermost axis first) of weight · value, as described above;
 * outputs whose position leaves the roi take `extrapolationValue`.
 */
export function cornersSummed(ctx: ImportContext, x: string, group: readonly LinearAxis[], extrapolationValue: number): string {
  const dtype = ctx.dtype(x);
  const rank = ctx.rank(x);
  const along = (a: LinearAxis, values: Float32Array | Uint8Array, dt: "float32" | "bool") =>
    ctx.const(
      values,
      [...Array(rank).keys()].map((d) => (d === a.axis ? values.length : 1)),
      dt,
    );
  const taps = group.map((a) => [a.lower, a.upper].map((idx) => ctx.const(idx, [idx.length], "int32")));
  const gather = (value: string, k: number, bit: number) => ctx.op("gather", [value, taps[k]![bit]!], { axis: group[k]!.axis });
  // Gathering the outer axes first leaves their combinations in onnxruntime's order (innermost bit fastest).
  const inner = group.length - 1;
  let outer = [x];
  for (let k = 0; k < inner; k++) outer = outer.flatMap((v) => [gather(v, k, 0), gather(v, k, 1)]);
  const weights = group.map((a) => [a.lowerWeight, a.upperWeight].map((w) => along(a, w, "float32")));
  let y: string | undefined;
  for (let corner = 0; corner < 2 ** group.length; corner++) {
    // The innermost gather just before its term, so each corner is dropped as soon as it is added.
    const value = gather(outer[corner >> 1]!, inner, corner & 1);
    // Innermost axis's weight first, then outward, as onnxruntime multiplies them.
    let weight: string | undefined;
    for (let k = inner; k >= 0; k--) {
      const w = weights[k]![(corner >> (inner - k)) & 1]!;
      weight = weight === undefined ? w : ctx.op("mul", [weight, w]);
    }
    // Weights are float32 products; another input dtype takes them rounded once.
    const term = ctx.op("mul", [dtype === "float32" ? weight! : ctx.op("cast", [weight!], { to: dtype }), value]);
    y = y === undefined ? term : ctx.op("add", [y, term]);
  }
  for (const a of group) {
    if (a.outside) y = ctx.op("where", [along(a, a.outside, "bool"), ctx.scalar(extrapolationValue, dtype), y!]);
  }
  return y!;
}
