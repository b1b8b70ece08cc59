import { DTypeError, isFloat, ShapeError } from "@polychip/hal";
import { dtypeForOnnx } from "../../tensor.ts";
import { bin, castTo, input, output, requireFloatInput, type OpImporter } from "./helpers.ts";
import { seedOf } from "./random.ts";

/**
 * Bernoulli and Multinomial on the HAL's counter-based uniform generator (see random.ts: ONNX
 * specifies the distribution, not the draws, so they never repeat onnxruntime's numbers).
 */

/** Bernoulli: 1 where a uniform draw in [0, 1) falls below the input's probability, else 0, in `dtype` (default: the input's). */
const bernoulli: OpImporter = (ctx, node) => {
  const p = input(ctx, node, 0);
  requireFloatInput(ctx, p);
  const code = node.attrs.int("dtype");
  const dtype = code === undefined ? ctx.dtype(p) : dtypeForOnnx(code, `${ctx.where()} dtype`);
  const shape = ctx.shape(p, "Bernoulli's output shape");
  const draws = ctx.op("randomUniform", [], { shape, dtype: "float32", seed: seedOf(node), low: 0, high: 1 });
  ctx.bind(output(node), castTo(ctx, bin(ctx, "less", draws, castTo(ctx, p, "float32")), dtype));
};

/**
 * Multinomial: sample_size class indices per row of unnormalised log-probabilities [B, C]. Each
 * draw u counts the classes whose cumulative probability (softmax, then a matmul with an upper
 * triangle of ones) is at most u: that count is the class u falls in.
 */
const multinomial: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  requireFloatInput(ctx, x);
  const dims = ctx.shape(x, "Multinomial");
  if (dims.length !== 2) throw new ShapeError(`${ctx.where()}: input must be [batch, classes], got [${dims.join(", ")}]`);
  const [batch, classes] = dims as [number, number];
  const samples = node.attrs.int("sample_size", 1)!;
  if (!(samples >= 1)) throw new ShapeError(`${ctx.where()}: sample_size must be positive, got ${samples}`);
  const dtype = dtypeForOnnx(node.attrs.int("dtype", 6)!, `${ctx.where()} dtype`);
  if (isFloat(dtype) || dtype === "bool") throw new DTypeError(`${ctx.where()}: dtype must be int32 or int64, got ${dtype}`);
  const probs = ctx.op("softmax", [castTo(ctx, x, "float32")], { axis: 1 });
  const upper = ctx.const(
    Array.from({ length: classes * classes }, (_, i) => (Math.floor(i / classes) <= i % classes ? 1 : 0)),
    [classes, classes],
    "float32",
  );
  const cdf = ctx.op("unsqueeze", [ctx.op("matmul", [probs, upper])], { axes: [1] });
  const draws = ctx.op("randomUniform", [], { shape: [batch, samples, 1], dtype: "float32", seed: seedOf(node), low: 0, high: 1 });
  const below = ctx.op("reduceSum", [castTo(ctx, bin(ctx, "greaterEqual", draws, cdf), "int32")], { axes: [2], keepDims: false });
  // Rounding can leave the last cumulative value just under 1: a draw above it is the last class.
  ctx.bind(output(node), castTo(ctx, bin(ctx, "minimum", below, ctx.scalar(classes - 1, "int32")), dtype));
};

export const SAMPLING_IMPORTERS: Readonly<Record<string, OpImporter>> = { Bernoulli: bernoulli, Multinomial: multinomial };
