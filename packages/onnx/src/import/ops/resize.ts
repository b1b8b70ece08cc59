import { ShapeError, UnsupportedOpError, type DType } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { axesOf, input, optionalInput, output, type OpImporter } from "./helpers.ts";
import { cornersSummed, isIdentityAxis, linearAxis, onnxruntimeGroup } from "./resize-linear.ts";
import { axisSamples, type AxisResize, type ResizeMode, type ResizeSettings, type Sample } from "./resize-weights.ts";

/**
 * Resize (and the older Upsample): linear without antialias interpolates the axes onnxruntime
 * interpolates together in one sum over their corners, in its order (resize-linear.ts); otherwise
 * one map per resized axis: nearest is a gather of the chosen input rows, cubic (and antialiased
 * linear) gathers its taps and sums them with host-computed coefficients (a matmul with an
 * [out, in] weight matrix when antialiasing widens the taps).
 * tf_crop_and_resize samples outside the region become the extrapolation value.
 */
/** Resampling maps are built on the host: bound their size so a corrupt model cannot exhaust memory. */
const MAX_RESIZED_DIM = 1 << 16;
const MAX_WEIGHTS = 1 << 24;
/** Up to this many taps per output (linear 2, cubic 4) an axis is resampled by gathers, past it (antialiased downscaling) by a matmul. */
const MAX_GATHERED_TAPS = 4;

/** A constant of one value per output index along the resized dim, broadcasting over the others. */
type AlongAxis = (values: Uint8Array | Float32Array, dtype: DType) => string;

const resize: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const shape = ctx.shape(x, "Resize");
  const rank = shape.length;
  const a = node.attrs;
  // The experimental Upsample of opsets 1-6 called linear "bilinear".
  const named = a.string("mode", "nearest");
  const mode = (named === "bilinear" && node.opType === "Upsample" ? "linear" : named) as ResizeMode;
  if (mode !== "nearest" && mode !== "linear" && mode !== "cubic") throw new UnsupportedOpError(`${ctx.where()}: unknown mode '${mode}'`);
  const legacy = node.opType === "Upsample" || node.opset < 11;
  const settings: ResizeSettings = {
    mode,
    // Upsample and Resize-10 sample asymmetrically and take the floor for nearest (np.repeat for integer scales).
    coordinateMode: legacy ? "asymmetric" : a.string("coordinate_transformation_mode", "half_pixel"),
    nearestMode: legacy ? "floor" : a.string("nearest_mode", "round_prefer_floor"),
    cubicA: a.float("cubic_coeff_a", -0.75),
    excludeOutside: a.int("exclude_outside", 0) === 1,
    antialias: a.int("antialias", 0) === 1,
    extrapolationValue: a.float("extrapolation_value", 0),
  };
  if (mode === "nearest" && settings.antialias) throw new UnsupportedOpError(`${ctx.where()}: antialias is not defined for nearest`);
  const axes = a.has("axes") ? axesOf(ctx, a.ints("axes")!, rank) : [...Array(rank).keys()];

  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  let roi: number[] | undefined;
  if (node.opType === "Upsample") {
    if (node.opset < 7 && a.has("height_scale")) {
      // Upsample-1 (experimental): 4-D NCHW with two scale attributes.
      if (rank !== 4) throw new ShapeError(`${ctx.where()}: Upsample-1 takes a 4-D NCHW input, got rank ${rank}`);
      scales = [1, 1, a.float("height_scale", 1), a.float("width_scale", 1)];
    } else scales = node.opset < 9 ? a.floats("scales") : floats(ctx, input(ctx, node, 1), "Upsample's scales");
  } else if (node.opset < 11) {
    scales = floats(ctx, input(ctx, node, 1), "Resize's scales");
  } else {
    const roiName = optionalInput(node, 1);
    const scalesName = optionalInput(node, 2);
    const sizesName = optionalInput(node, 3);
    if (roiName && settings.coordinateMode === "tf_crop_and_resize") roi = floats(ctx, roiName, "Resize's roi");
    const s = scalesName ? floats(ctx, scalesName, "Resize's scales") : [];
    if (s.length > 0) scales = s;
    else if (sizesName) sizes = ctx.ints(sizesName, "Resize's sizes");
  }
  if (!scales && !sizes) throw new ShapeError(`${ctx.where()}: needs scales or sizes`);
  const listed = (scales ?? sizes)!;
  if (listed.length !== axes.length) throw new ShapeError(`${ctx.where()}: ${listed.length} scales/sizes for ${axes.length} axes`);

  // Per-axis output size and scale, as the reference computes them.
  const scaleOf = new Array<number>(rank).fill(1);
  const sizeOf = [...shape];
  if (scales) {
    axes.forEach((d, i) => {
      const sc = Math.fround(scales![i]!);
      if (!(sc > 0)) throw new ShapeError(`${ctx.where()}: scale ${sc} must be positive`);
      scaleOf[d] = sc;
      sizeOf[d] = Math.floor(sc * shape[d]!);
    });
  } else {
    axes.forEach((d, i) => {
      scaleOf[d] = sizes![i]! / shape[d]!;
      sizeOf[d] = sizes![i]!;
    });
    const policy = a.string("keep_aspect_ratio_policy", "stretch");
    if (policy !== "stretch") {
      const picked = axes.map((d) => scaleOf[d]!);
      const scale = policy === "not_larger" ? Math.min(...picked) : policy === "not_smaller" ? Math.max(...picked) : NaN;
      if (Number.isNaN(scale)) throw new UnsupportedOpError(`${ctx.where()}: unknown keep_aspect_ratio_policy '${policy}'`);
      axes.forEach((d) => {
        scaleOf[d] = scale;
        sizeOf[d] = Math.floor(scale * shape[d]! + 0.5);
      });
    }
  }
  if (sizeOf.some((d) => !Number.isInteger(d) || d < 0 || d > MAX_RESIZED_DIM))
    throw new ShapeError(`${ctx.where()}: invalid output shape [${sizeOf}] (each dim at most ${MAX_RESIZED_DIM})`);
  const roiOf = (d: number): [number, number] => {
    if (!roi) return [0, 1];
    // roi lists starts then ends, for `axes` (opset 18) or for every dim.
    const k = roi.length === 2 * rank ? d : axes.indexOf(d);
    const n = roi.length / 2;
    return [roi[k]!, roi[k + n]!];
  };

  const perAxis = shape.map((inputSize, d): AxisResize => ({ inputSize, outputSize: sizeOf[d]!, scale: scaleOf[d]!, roi: roiOf(d) }));
  const known = <T>(build: () => T): T => {
    try {
      return build();
    } catch (err) {
      throw new UnsupportedOpError(`${ctx.where()}: ${(err as Error).message}`);
    }
  };
  let y = x;
  let separable = [...perAxis.keys()];
  if (mode === "linear" && !settings.antialias) {
    // onnxruntime's joint interpolation of 2 or 3 axes (resize-linear.ts); any other resized axis stays separable.
    const linear = known(() => perAxis.map((axis, d) => linearAxis(d, axis, settings.coordinateMode)));
    const changed = separable.filter((d) => !isIdentityAxis(linear[d]!, shape[d]!));
    const group = onnxruntimeGroup(scaleOf.map(Math.fround)) ?? (changed.length <= 3 ? changed : []);
    if (group.some((d) => changed.includes(d)))
      y = cornersSummed(
        ctx,
        x,
        group.map((d) => linear[d]!),
        settings.extrapolationValue,
      );
    separable = changed.filter((d) => !group.includes(d));
  }
  for (const d of separable) {
    const samples = known(() => axisSamples(perAxis[d]!, settings));
    if (isIdentity(samples, shape[d]!)) continue;
    y = resampleAxis(ctx, y, d, samples, perAxis[d]!, settings);
  }
  ctx.bind(output(node), y);
};

function floats(ctx: ImportContext, name: string, why: string): number[] {
  return Array.from(ctx.requireConstant(name, why).data as ArrayLike<number>);
}

function isIdentity(samples: Sample[], inputSize: number): boolean {
  return (
    samples.length === inputSize && samples.every((s, i) => !s.extrapolated && s.taps.every((t, k) => s.coeffs[k] === 0 || (t === i && s.coeffs[k] === 1)))
  );
}

/** Applies one axis's samples to `x` along dim `d`. */
function resampleAxis(ctx: ImportContext, x: string, d: number, samples: Sample[], axis: AxisResize, s: ResizeSettings): string {
  const dims = ctx.shape(x);
  const rank = dims.length;
  const dtype = ctx.dtype(x);
  const out = samples.length;
  const along: AlongAxis = (values, dt) =>
    ctx.const(
      values,
      dims.map((_, i) => (i === d ? out : 1)),
      dt,
    );
  const extrapolated = samples.some((p) => p.extrapolated);
  let y: string;
  if (s.mode === "nearest") {
    const idx = samples.map((p) => (p.extrapolated ? 0 : (p.taps[p.coeffs.findIndex((c) => c === 1)] ?? p.taps[0]!)));
    y = ctx.op("gather", [x, ctx.const(Int32Array.from(idx), [out], "int32")], { axis: d });
  } else if (Math.max(...samples.map((p) => p.taps.length)) <= MAX_GATHERED_TAPS) {
    y = tapsGathered(ctx, x, d, samples, along);
  } else {
    if (out * axis.inputSize > MAX_WEIGHTS)
      throw new ShapeError(`${ctx.where()}: a ${out}×${axis.inputSize} resampling matrix is larger than Polychip builds (${MAX_WEIGHTS} elements)`);
    const weights = new Float32Array(out * axis.inputSize);
    samples.forEach((p, o) => p.taps.forEach((t, k) => (weights[o * axis.inputSize + t] += p.coeffs[k]!)));
    const w = ctx.const(weights, [out, axis.inputSize], dtype);
    const last = d === rank - 1;
    const moved = last ? x : ctx.op("permute", [x], { dims: [...dims.keys()].filter((i) => i !== d).concat(d) });
    const movedDims = last ? dims : [...dims.filter((_, i) => i !== d), dims[d]!];
    const rows = ctx.op("reshape", [moved], { shape: [-1, axis.inputSize] });
    const mixed = ctx.op("matmul", [rows, w], { transposeB: true });
    const back = ctx.op("reshape", [mixed], { shape: [...movedDims.slice(0, -1), out] });
    if (last) y = back;
    else {
      const order = [...Array(rank).keys()];
      const inverse = order.map((i) => (i < d ? i : i === d ? rank - 1 : i - 1));
      y = ctx.op("permute", [back], { dims: inverse });
    }
  }
  if (extrapolated) {
    const mask = along(
      Uint8Array.from(samples, (p) => (p.extrapolated ? 1 : 0)),
      "bool",
    );
    y = ctx.op("where", [mask, ctx.scalar(s.extrapolationValue, dtype), y]);
  }
  return y;
}

/**
 * Σ_k gather(x, tap k of each output index) · its coefficient, tap 0 first: two taps per output
 * for linear, four for cubic, instead of a dense [out, in] matmul whose work grows with the input
 * size (a 512 → 1024 upsample would multiply 512 weights per output, all but two of them zero).
 */
function tapsGathered(ctx: ImportContext, x: string, d: number, samples: Sample[], along: AlongAxis): string {
  const taps = Math.max(...samples.map((p) => p.taps.length));
  let y: string | undefined;
  for (let k = 0; k < taps; k++) {
    // A sample with fewer taps repeats its first with coefficient 0.
    const idx = Int32Array.from(samples, (p) => p.taps[k] ?? p.taps[0] ?? 0);
    const coeff = Float32Array.from(samples, (p) => p.coeffs[k] ?? 0);
    const tap = ctx.op("gather", [x, ctx.const(idx, [samples.length], "int32")], { axis: d });
    const term = ctx.op("mul", [tap, along(coeff, ctx.dtype(x))]);
    y = y === undefined ? term : ctx.op("add", [y, term]);
  }
  return y!;
}

export const RESIZE_IMPORTERS: Record<string, OpImporter> = {
  Resize: resize,
  Upsample: resize,
};
