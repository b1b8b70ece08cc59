import type { Attrs } from "../../device.ts";
import { ShapeError } from "../../errors.ts";
import { contiguousStrides, formatShape } from "../../shape.ts";
import { listAttr } from "../attrs.ts";
import type { DecompositionContext } from "../types.ts";
import { filled } from "./helpers.ts";

export type PadMode = "constant" | "reflect" | "edge";

/**
 * Where output position `j` of a padded dim reads from (`begin` = leading pad, may be negative).
 * reflect mirrors without repeating the border element and keeps mirroring when the pad is wider
 * than the dim (NumPy's "reflect"); edge repeats the border element.
 */
export function padSource(mode: "reflect" | "edge", j: number, begin: number, size: number): number {
  const s = j - begin;
  if (s >= 0 && s < size) return s;
  if (mode === "edge" || size === 1) return Math.min(Math.max(s, 0), size - 1);
  const period = 2 * (size - 1);
  const m = ((s % period) + period) % period;
  return m < size ? m : period - m;
}

export function pad<V>(ctx: DecompositionContext<V>, inputs: readonly V[], attrs: Attrs): V[] {
  const x = inputs[0] as V;
  const { shape, dtype } = ctx.meta(x);
  const r = shape.length;
  const pads = listAttr("pad", attrs, "pads");
  if (pads.length !== 2 * r) throw new ShapeError(`pad: pads must have ${2 * r} entries for input ${formatShape(shape)}, got ${pads.length}`);
  const mode = attrs.mode ?? "constant";
  const begin = (i: number) => pads[i]!;
  const end = (i: number) => pads[i + r]!;
  const outShape = shape.map((d, i) => d + begin(i) + end(i));
  if (outShape.some((d) => d < 0)) throw new ShapeError(`pad: pads ${formatShape(pads)} crop input ${formatShape(shape)} below zero`);

  if (mode === "constant") {
    const value = attrs.value;
    const out = filled(ctx, outShape, dtype, typeof value === "number" || typeof value === "boolean" ? value : 0);
    const kept = shape.map((d, i) => d - Math.max(0, -begin(i)) - Math.max(0, -end(i)));
    if (kept.some((d) => d <= 0)) return [out];
    const xStrides = contiguousStrides(shape);
    const outStrides = contiguousStrides(outShape);
    const srcOffset = shape.reduce((o, _, i) => o + Math.max(0, -begin(i)) * xStrides[i]!, 0);
    const dstOffset = shape.reduce((o, _, i) => o + Math.max(0, begin(i)) * outStrides[i]!, 0);
    ctx.copyInto(out, { shape: kept, strides: outStrides, offset: dstOffset }, ctx.view(ctx.reshape(x, shape), kept, xStrides, srcOffset));
    return [out];
  }
  if (mode !== "reflect" && mode !== "edge") throw new ShapeError(`pad: mode must be constant, reflect or edge, got ${JSON.stringify(mode)}`);

  // One gather per padded dim with a host-computed source index for every output position.
  let y: V = x;
  let padded = false;
  for (let i = 0; i < r; i++) {
    if (begin(i) === 0 && end(i) === 0) continue;
    const size = shape[i]!;
    if (size === 0 && outShape[i]! > 0) throw new ShapeError(`pad: mode ${mode} cannot pad empty dim ${i} of input ${formatShape(shape)}`);
    const index = Int32Array.from({ length: outShape[i]! }, (_, j) => padSource(mode, j, begin(i), size));
    y = ctx.call("gather", [y, ctx.constant(index, [outShape[i]!], "int32")], { axis: i });
    padded = true;
  }
  return [padded ? y : ctx.call("copy", [x])];
}
