import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext } from "../context.ts";
import { axisOf, bin, input, optionalInput, output, scalarLike, un, type OpImporter } from "./helpers.ts";

/** [C] → [C, 1, ..., 1] so a per-channel vector broadcasts over dim 1 of a rank-r tensor. */
function perChannel(ctx: ImportContext, v: string, channels: number | string, rank: number): string {
  return ctx.op("reshape", [v], { shape: [typeof channels === "number" ? channels : -1, ...new Array<number>(Math.max(0, rank - 2)).fill(1)] });
}

/** Mean and biased variance over `axes` (kept as size-1 dims), as the normalisations define them. */
function moments(ctx: ImportContext, x: string, axes: number[]): { mean: string; variance: string } {
  const shape = ctx.shape(x, "normalisation statistics");
  const count = scalarLike(
    ctx,
    axes.reduce((p, a) => p * shape[a]!, 1),
    x,
  );
  const mean = bin(ctx, "div", ctx.op("reduceSum", [x], { axes, keepDims: true }), count);
  const centred = bin(ctx, "sub", x, mean);
  const variance = bin(ctx, "div", ctx.op("reduceSum", [bin(ctx, "mul", centred, centred)], { axes, keepDims: true }), count);
  return { mean, variance };
}

const batchNormalization: OpImporter = (ctx, node) => {
  const [x, scale, bias, mean, variance] = [0, 1, 2, 3, 4].map((i) => input(ctx, node, i)) as [string, string, string, string, string];
  const epsilon = node.attrs.float("epsilon", 1e-5);
  if (node.opset < 9 && node.attrs.int("spatial", 1) === 0) {
    perActivationBatchNorm(ctx, node, [x, scale, bias, mean, variance], epsilon);
    return;
  }
  // Before opset 14 the outputs asked for, not is_test (opset < 7), say whether this is training.
  const training = node.opset >= 14 && node.attrs.int("training_mode", 0) === 1;
  if (!training) {
    if (node.outputs.slice(1).some((o) => o))
      throw new UnsupportedOpError(`${ctx.where()}: the training statistics outputs are not supported in inference mode`);
    ctx.op("batchNorm", [x, scale, bias, mean, variance], { epsilon }, output(node));
    return;
  }
  // Training mode: normalise with the batch's statistics and update the running ones.
  const rank = ctx.rank(x);
  const channels = ctx.dims(x)[1]!;
  const axes = [...Array(rank).keys()].filter((a) => a !== 1);
  const stats = moments(ctx, x, axes);
  const batchMean = ctx.op("reshape", [stats.mean], { shape: [typeof channels === "number" ? channels : -1] });
  const batchVar = ctx.op("reshape", [stats.variance], { shape: [typeof channels === "number" ? channels : -1] });
  ctx.op("batchNorm", [x, scale, bias, batchMean, batchVar], { epsilon }, output(node));
  const momentum = node.attrs.float("momentum", 0.9);
  const blend = (running: string, batch: string, out: string | undefined) =>
    bin(ctx, "add", bin(ctx, "mul", running, scalarLike(ctx, momentum, x)), bin(ctx, "mul", batch, scalarLike(ctx, 1 - momentum, x)), out);
  if (output(node, 1)) blend(mean, batchMean, output(node, 1));
  if (output(node, 2)) blend(variance, batchVar, output(node, 2));
};

/**
 * spatial=0 (opsets 1-8): statistics per activation, shaped like one sample ([C, D1, ...]); a [C]
 * vector on a wider input still means one value per channel.
 */
function perActivationBatchNorm(ctx: ImportContext, node: Parameters<OpImporter>[1], [x, scale, bias, mean, variance]: string[], epsilon: number): void {
  if (node.outputs.slice(1).some((o) => o)) throw new UnsupportedOpError(`${ctx.where()}: the training statistics outputs are not supported in inference mode`);
  const rank = ctx.rank(x);
  const fit = (v: string) => (ctx.rank(v) === 1 && rank > 2 ? perChannel(ctx, v, ctx.dims(v)[0]!, rank) : v);
  const std = un(ctx, "sqrt", bin(ctx, "add", fit(variance!), scalarLike(ctx, epsilon, x)));
  const normalised = bin(ctx, "div", bin(ctx, "sub", x!, fit(mean!)), std);
  bin(ctx, "add", bin(ctx, "mul", normalised, fit(scale!)), fit(bias!), output(node));
}

/** Instance norm = layer norm over the spatial dims of each (n, c), then a per-channel affine. */
const instanceNormalization: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  if (rank < 3) throw new ShapeError(`${ctx.where()}: input must have rank ≥ 3, got ${rank}`);
  const normalised = ctx.op("layerNorm", [x], { axis: 2, epsilon: node.attrs.float("epsilon", 1e-5) });
  const channels = ctx.dims(x)[1]!;
  const scaled = bin(ctx, "mul", normalised, perChannel(ctx, input(ctx, node, 1), channels, rank));
  bin(ctx, "add", scaled, perChannel(ctx, input(ctx, node, 2), channels, rank), output(node));
};

/** Group norm: layer norm over [C/G, spatial...] of each group, then a per-channel (opset 21) or per-group (18) affine. */
const groupNormalization: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const shape = ctx.shape(x, "GroupNormalization");
  const groups = node.attrs.int("num_groups", 0);
  const [n, c] = shape as [number, number];
  if (shape.length < 3 || groups <= 0 || c % groups !== 0) throw new ShapeError(`${ctx.where()}: ${c} channels cannot form ${groups} groups`);
  const grouped = ctx.op("reshape", [x], { shape: [n, groups, -1] });
  const normalised = ctx.op("layerNorm", [grouped], { axis: 2, epsilon: node.attrs.float("epsilon", 1e-5) });
  const scale = input(ctx, node, 1);
  const bias = input(ctx, node, 2);
  const perGroup = ctx.shape(scale, "GroupNormalization's scale")[0] === groups && groups !== c;
  if (perGroup) {
    // Opset 18: scale and bias hold one value per group.
    const y = bin(
      ctx,
      "add",
      bin(ctx, "mul", normalised, ctx.op("reshape", [scale], { shape: [groups, 1] })),
      ctx.op("reshape", [bias], { shape: [groups, 1] }),
    );
    ctx.op("reshape", [y], { shape }, output(node));
    return;
  }
  const back = ctx.op("reshape", [normalised], { shape });
  bin(ctx, "add", bin(ctx, "mul", back, perChannel(ctx, scale, c, shape.length)), perChannel(ctx, bias, c, shape.length), output(node));
};

const layerNormalization: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  const axis = axisOf(ctx, node.attrs.int("axis", -1), rank);
  const epsilon = node.attrs.float("epsilon", 1e-5);
  const scale = input(ctx, node, 1);
  const bias = optionalInput(node, 2);
  if (!output(node, 1) && !output(node, 2)) {
    ctx.op("layerNorm", bias ? [x, scale, bias] : [x, scale], { axis, epsilon }, output(node));
    return;
  }
  // Mean and InvStdDev are asked for: spell the normalisation out.
  const axes = [...Array(rank).keys()].slice(axis);
  const { mean, variance } = moments(ctx, x, axes);
  const invStd = un(ctx, "rsqrt", bin(ctx, "add", variance, scalarLike(ctx, epsilon, x)));
  let y = bin(ctx, "mul", bin(ctx, "mul", bin(ctx, "sub", x, mean), invStd), scale, bias ? undefined : output(node));
  if (bias) y = bin(ctx, "add", y, bias, output(node));
  ctx.bind(output(node, 1), mean);
  ctx.bind(output(node, 2), invStd);
};

/** RMSNormalization (opset 23): x / sqrt(mean(x²) + ε) · scale over dims axis.. */
const rmsNormalization: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const rank = ctx.rank(x);
  const axis = axisOf(ctx, node.attrs.int("axis", -1), rank);
  rmsNormOf(ctx, x, axis, node.attrs.float("epsilon", 1e-5), input(ctx, node, 1), output(node));
};

/** x / sqrt(mean(x²) + ε) · scale over the dims from `axis` on (RMSNormalization, onnxruntime's simplified layer norms). */
export function rmsNormOf(ctx: ImportContext, x: string, axis: number, epsilon: number, scale: string, out?: string): string {
  const axes = [...Array(ctx.rank(x)).keys()].slice(axis);
  const shape = ctx.shape(x, "RMS normalization");
  const count = scalarLike(
    ctx,
    axes.reduce((p, a) => p * shape[a]!, 1),
    x,
  );
  const meanSquare = bin(ctx, "div", ctx.op("reduceSum", [bin(ctx, "mul", x, x)], { axes, keepDims: true }), count);
  const rms = un(ctx, "sqrt", bin(ctx, "add", meanSquare, scalarLike(ctx, epsilon, x)));
  return bin(ctx, "mul", bin(ctx, "div", x, rms), scale, out);
}

/** Softmax and LogSoftmax: before opset 13 the input is coerced to 2-D at `axis` (default 1). */
function softmax(halOp: "softmax" | "logSoftmax"): OpImporter {
  return (ctx, node) => {
    const x = input(ctx, node, 0);
    const rank = ctx.rank(x);
    if (node.opset >= 13) {
      ctx.op(halOp, [x], { axis: axisOf(ctx, node.attrs.int("axis", -1), rank) }, output(node));
      return;
    }
    const axis = axisOf(ctx, node.attrs.int("axis", 1), Math.max(rank, 1));
    const flat = ctx.op("flatten", [x], { axis });
    const y = ctx.op(halOp, [flat], { axis: 1 });
    const dims = ctx.dims(x);
    const shape = dims.every((d) => typeof d === "number") ? { shape: dims as number[] } : undefined;
    if (shape) ctx.op("reshape", [y], shape, output(node));
    else ctx.op("reshape", [y, ctx.op("shape", [x])], {}, output(node));
  };
}

/** Hardmax: 1 at the first maximum along the axis, else 0 (2-D coercion before opset 13, as Softmax). */
const hardmax: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dims = ctx.dims(x);
  const legacy = node.opset < 13;
  const axis = axisOf(ctx, node.attrs.int("axis", legacy ? 1 : -1), Math.max(dims.length, 1));
  const flat = legacy ? ctx.op("flatten", [x], { axis }) : x;
  const along = legacy ? 1 : axis;
  const size = ctx.dims(flat)[along];
  if (typeof size !== "number") throw new UnsupportedOpError(`${ctx.where()}: Hardmax along a run-time dim`);
  const rank = ctx.rank(flat);
  const iota = ctx.const(
    Int32Array.from({ length: size }, (_, i) => i),
    Array.from({ length: rank }, (_, i) => (i === along ? size : 1)),
    "int32",
  );
  const hot = ctx.op("cast", [bin(ctx, "equal", iota, ctx.op("argMax", [flat], { axis: along, keepDims: true }))], { to: ctx.dtype(x) });
  if (!legacy) ctx.bind(output(node), hot);
  else ctx.op("reshape", [hot], { shape: ctx.shape(x, "Hardmax") }, output(node));
};

/**
 * LRN: x / (bias + alpha/size · Σ x² over `size` neighbouring channels)^beta. The channel sum is
 * an average pool over [C, H·W] with zero padding counted, times size.
 */
const lrn: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const [n, c, ...spatial] = ctx.shape(x, "LRN");
  const size = node.attrs.int("size", 0);
  if (size <= 0 || n === undefined || c === undefined) throw new ShapeError(`${ctx.where()}: needs a positive size and an [N, C, ...] input`);
  const plane = spatial.reduce((p, d) => p * d, 1);
  const squares = ctx.op("reshape", [bin(ctx, "mul", x, x)], { shape: [n, 1, c, plane] });
  const before = Math.floor((size - 1) / 2);
  const mean = ctx.op("avgPool2d", [squares], { kernel: [size, 1], strides: [1, 1], pads: [before, 0, size - 1 - before, 0], countIncludePad: true });
  const scaled = bin(
    ctx,
    "add",
    scalarLike(ctx, node.attrs.float("bias", 1), x),
    bin(ctx, "mul", ctx.op("reshape", [mean], { shape: [n, c, ...spatial] }), scalarLike(ctx, node.attrs.float("alpha", 1e-4), x)),
  );
  bin(ctx, "div", x, bin(ctx, "pow", scaled, scalarLike(ctx, node.attrs.float("beta", 0.75), x)), output(node));
};

export const NORMALIZATION_IMPORTERS: Record<string, OpImporter> = {
  Hardmax: hardmax,
  LRN: lrn,
  BatchNormalization: batchNormalization,
  InstanceNormalization: instanceNormalization,
  GroupNormalization: groupNormalization,
  LayerNormalization: layerNormalization,
  RMSNormalization: rmsNormalization,
  Softmax: softmax("softmax"),
  LogSoftmax: softmax("logSoftmax"),
};
