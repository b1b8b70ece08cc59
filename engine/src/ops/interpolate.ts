import { formatShape, PolychipError, ShapeError } from "@polychip/hal";
import type { Tensor } from "../tensor.ts";
import { add, mul } from "./basic.ts";
import { tensor } from "./creation.ts";
import { gather } from "./indexing.ts";
import { reshape } from "./shape.ts";

export interface InterpolateOptions {
  /** Output spatial size, or give scaleFactor. */
  size?: number | number[];
  scaleFactor?: number | number[];
  mode?: "nearest" | "bilinear" | "linear";
  alignCorners?: boolean;
}

/** Source indices and weights along one axis for linear interpolation (torch's half-pixel rule, or align corners). */
function linearTaps(inSize: number, outSize: number, scale: number, alignCorners: boolean): { lo: number[]; hi: number[]; frac: number[] } {
  const lo: number[] = [];
  const hi: number[] = [];
  const frac: number[] = [];
  for (let i = 0; i < outSize; i++) {
    const src = alignCorners ? (outSize > 1 ? (i * (inSize - 1)) / (outSize - 1) : 0) : Math.max((i + 0.5) * scale - 0.5, 0);
    const l = Math.min(Math.floor(src), inSize - 1);
    lo.push(l);
    hi.push(Math.min(l + 1, inSize - 1));
    frac.push(src - l);
  }
  return { lo, hi, frac };
}

/**
 * torch.nn.functional.interpolate for [N, C, L] (nearest, linear) and [N, C, H, W] (nearest,
 * bilinear): separable gathers along each spatial dim, so gradients come from gather.
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  const spatial = x.ndim - 2;
  if (spatial !== 1 && spatial !== 2) throw new ShapeError(`interpolate: expects [N, C, L] or [N, C, H, W], got ${formatShape(x.shape)}`);
  const mode = opts.mode ?? "nearest";
  if (mode !== "nearest" && (mode === "bilinear") !== (spatial === 2))
    throw new PolychipError(`interpolate: mode '${mode}' does not fit a ${spatial}-D input (use 'linear' for [N, C, L], 'bilinear' for [N, C, H, W])`);
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) throw new PolychipError("interpolate: give exactly one of size and scaleFactor");
  const list = (v: number | number[]) => (typeof v === "number" ? Array(spatial).fill(v) : v);
  const ins = x.shape.slice(2);
  const outs = opts.size !== undefined ? list(opts.size) : ins.map((d, i) => Math.floor(d * list(opts.scaleFactor!)[i]!));
  // torch uses 1/scaleFactor as the scale when one is given, in/out otherwise.
  const scales = ins.map((d, i) => (opts.scaleFactor !== undefined ? 1 / list(opts.scaleFactor)[i]! : d / outs[i]!));
  if (outs.length !== spatial || outs.some((o) => !Number.isInteger(o) || o <= 0))
    throw new ShapeError(`interpolate: output size ${formatShape(outs)} is invalid for ${formatShape(x.shape)}`);
  let y = x;
  ins.forEach((inSize, i) => {
    const axis = 2 + i;
    const idx = (v: number[]) => tensor(Int32Array.from(v), { device: x.device });
    if (mode === "nearest") {
      y = gather(y, idx(Array.from({ length: outs[i]! }, (_, o) => Math.min(Math.floor(o * scales[i]!), inSize - 1))), axis);
      return;
    }
    const { lo, hi, frac } = linearTaps(inSize, outs[i]!, scales[i]!, opts.alignCorners ?? false);
    const shape = y.shape.map((_, d) => (d === axis ? outs[i]! : 1));
    const w = reshape(tensor(Float32Array.from(frac), { device: x.device }), shape);
    const w0 = reshape(
      tensor(
        Float32Array.from(frac, (f) => 1 - f),
        { device: x.device },
      ),
      shape,
    );
    y = add(mul(gather(y, idx(lo), axis), w0), mul(gather(y, idx(hi), axis), w));
  });
  return y;
}
