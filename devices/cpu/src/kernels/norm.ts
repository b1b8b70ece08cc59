import { broadcastShapes, formatShape, normalizeAxis, numAttr, shapesEqual, ShapeError, sizeOf, type Shape } from "@polychip/hal";
import { openOutput, readNumbers, readValues, type CpuView } from "../views.ts";
import { cpuKernel, type CpuRegistration } from "./registration.ts";

/** A per-feature parameter broadcast (right-aligned) to `target`, flattened. */
function parameter(op: string, what: string, view: CpuView | undefined, target: Shape): Float64Array | undefined {
  if (!view) return undefined;
  if (view.shape.length > target.length || !shapesEqual(broadcastShapes(op, view.shape, target), target)) {
    throw new ShapeError(`${op}: ${what} ${formatShape(view.shape)} does not broadcast to the normalised shape ${formatShape(target)}`);
  }
  return readNumbers(view, target);
}

export const normKernels: CpuRegistration[] = [
  /**
   * layerNorm(x, weight?, bias?): each run over dims attrs.axis.. (default -1) is normalised with its
   * mean and biased variance (two passes in float64), then scaled and shifted elementwise.
   */
  cpuKernel("layerNorm", ({ inputs: [x, weight, bias], outputs: [y], attrs }) => {
    const shape = x!.shape;
    const axis = normalizeAxis("layerNorm", numAttr("layerNorm", attrs, "axis", -1), shape.length);
    const epsilon = numAttr("layerNorm", attrs, "epsilon", 1e-5);
    const normShape = shape.slice(axis);
    const D = sizeOf(normShape);
    const w = parameter("layerNorm", "weight", weight, normShape);
    const b = parameter("layerNorm", "bias", bias, normShape);
    const xs = readValues(x!);
    const out = openOutput(y!);
    const v = out.values;
    for (let s = 0; s < xs.length; s += D) {
      let mean = 0;
      for (let d = 0; d < D; d++) mean += xs[s + d]!;
      mean /= D;
      let variance = 0;
      for (let d = 0; d < D; d++) variance += (xs[s + d]! - mean) ** 2;
      variance /= D;
      const inv = 1 / Math.sqrt(variance + epsilon);
      for (let d = 0; d < D; d++) v[s + d] = (xs[s + d]! - mean) * inv * (w ? w[d]! : 1) + (b ? b[d]! : 0);
    }
    out.commit();
  }),

  /** Inference batch norm over channel dim 1: (x - mean) / sqrt(var + epsilon) * scale + bias. */
  cpuKernel("batchNorm", ({ inputs: [x, scale, bias, mean, variance], outputs: [y], attrs }) => {
    const shape = x!.shape;
    const epsilon = numAttr("batchNorm", attrs, "epsilon", 1e-5);
    const C = shape[1]!;
    const inner = sizeOf(shape.slice(2));
    const [g, b, m, s2] = [scale, bias, mean, variance].map((p) => readNumbers(p!)) as [Float64Array, Float64Array, Float64Array, Float64Array];
    const xs = readValues(x!);
    const out = openOutput(y!);
    const v = out.values;
    for (let s = 0, c = 0; s < xs.length; s += inner, c = (c + 1) % C) {
      const inv = 1 / Math.sqrt(s2[c]! + epsilon);
      for (let i = s; i < s + inner; i++) v[i] = (xs[i]! - m[c]!) * inv * g[c]! + b[c]!;
    }
    out.commit();
  }),
];
