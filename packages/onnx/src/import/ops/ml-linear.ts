import { DTypeError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, castTo, input, output, type OpImporter } from "./helpers.ts";
import { oneRowLinearScores } from "./ml-binary.ts";
import { applyPostTransform, featureMatrix, integerLabels, postTransformOf, topLabels } from "./ml-scores.ts";

/**
 * The ai.onnx.ml preprocessing ops and linear models scikit-learn pipelines export (skl2onnx):
 * lowered onto HAL ops, so every device runs them. Semantics follow onnxruntime where ONNX's text
 * leaves room (1-D inputs are one row; integer and double features are read as float32).
 */

/** A per-feature list (length 1 broadcasts) as a [1, F] constant. */
function perFeature(ctx: ImportContext, what: string, values: readonly number[], features: number | undefined): string {
  if (values.length !== 1 && features !== undefined && values.length !== features)
    throw new ShapeError(`${ctx.where()}: ${what} has ${values.length} values for ${features} features (1 or one per feature)`);
  return ctx.const(Float32Array.from(values), [1, values.length], "float32");
}

/** Scaler: (X − offset) · scale, per feature. */
const scaler: OpImporter = (ctx, node) => {
  const { x, features } = featureMatrix(ctx, node);
  const offset = perFeature(ctx, "offset", node.attrs.floats("offset", [0]), features);
  const scale = perFeature(ctx, "scale", node.attrs.floats("scale", [1]), features);
  bin(ctx, "mul", bin(ctx, "sub", x, offset), scale, output(node));
};

/** Normalizer: each row divided by its MAX, L1 or L2 norm; a row whose norm is zero stays as it is. */
const normalizer: OpImporter = (ctx, node) => {
  const { x } = featureMatrix(ctx, node);
  const kind = node.attrs.string("norm", "MAX");
  const reduce = (op: string, v: string) => ctx.op(op, [v], { axes: [1], keepDims: true });
  const norm =
    kind === "MAX"
      ? reduce("reduceMax", x)
      : kind === "L1"
        ? reduce("reduceSum", ctx.op("abs", [x]))
        : kind === "L2"
          ? ctx.op("sqrt", [reduce("reduceSum", bin(ctx, "mul", x, x))])
          : undefined;
  if (!norm) throw new UnsupportedOpError(`${ctx.where()}: unknown norm '${kind}' (MAX, L1, L2)`);
  const isZero = bin(ctx, "equal", norm, ctx.scalar(0, "float32"));
  const safe = ctx.op("where", [isZero, ctx.scalar(1, "float32"), norm]);
  bin(ctx, "div", x, safe, output(node));
};

/** Binarizer: 1 where X > threshold, else 0, in X's dtype. */
const binarizer: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const dtype = ctx.dtype(x);
  if (dtype === "bool") throw new DTypeError(`${ctx.where()}: expects a numeric tensor, got bool '${x}'`);
  const above = bin(ctx, "greater", castTo(ctx, x, "float32"), ctx.scalar(node.attrs.float("threshold", 0), "float32"));
  ctx.op("cast", [above], { to: dtype }, output(node));
};

/** ArrayFeatureExtractor: X's last axis gathered at the indices Y; a 1-D X is one row. */
const arrayFeatureExtractor: OpImporter = (ctx, node) => {
  const raw = input(ctx, node, 0);
  const x = ctx.rank(raw) === 1 ? ctx.op("unsqueeze", [raw], { axes: [0] }) : raw;
  const indices = input(ctx, node, 1);
  const last = ctx.rank(x) - 1;
  const size = ctx.dims(x)[last];
  const known = ctx.tryConstant(indices);
  if (known && typeof size === "number")
    for (const i of known.data) if (i < 0 || i >= size) throw new ShapeError(`${ctx.where()}: index ${i} is outside the last axis of X (size ${size})`);
  const flat = ctx.rank(indices) === 1 ? indices : ctx.op("reshape", [indices], { shape: [-1] });
  ctx.op("gather", [x, castTo(ctx, flat, "int32")], { axis: last }, output(node));
};

/** Imputer: values equal to replaced_value (or NaN, when that is NaN) become the feature's imputed value. */
const imputer: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const float = ctx.dtype(x) === "float32" || ctx.dtype(x) === "float16";
  const imputed = float ? node.attrs.floats("imputed_value_floats") : node.attrs.ints("imputed_value_int64s");
  if (!imputed?.length) throw new ShapeError(`${ctx.where()}: imputed_value_${float ? "floats" : "int64s"} is missing`);
  const replaced = float ? node.attrs.float("replaced_value_float", 0) : node.attrs.int("replaced_value_int64", 0);
  const features = ctx.dims(x)[ctx.rank(x) - 1];
  if (imputed.length !== 1 && typeof features === "number" && imputed.length !== features)
    throw new ShapeError(`${ctx.where()}: ${imputed.length} imputed values for ${features} features (1 or one per feature)`);
  const fill = ctx.const(imputed, [imputed.length], ctx.dtype(x));
  const hit = Number.isNaN(replaced) ? bin(ctx, "notEqual", x, x) : bin(ctx, "equal", x, ctx.scalar(replaced, ctx.dtype(x)));
  ctx.op("where", [hit, fill, x], {}, output(node));
};

/** X · coefficientsᵀ + intercepts: [N, rows] scores of a linear model. */
function linearScores(ctx: ImportContext, node: OnnxNode, rows: number): string {
  const { x, features } = featureMatrix(ctx, node);
  const coefficients = node.attrs.floats("coefficients");
  if (!coefficients?.length) throw new ShapeError(`${ctx.where()}: coefficients are missing`);
  if (coefficients.length % rows !== 0 || (features !== undefined && coefficients.length !== rows * features))
    throw new ShapeError(`${ctx.where()}: ${coefficients.length} coefficients do not make ${rows} rows of ${features ?? "?"} features`);
  const f = coefficients.length / rows;
  const weights = ctx.const(Float32Array.from(coefficients), [rows, f], "float32");
  const product = ctx.op("matmul", [x, ctx.op("permute", [weights], { dims: [1, 0] })]);
  const intercepts = node.attrs.floats("intercepts", []);
  if (intercepts.length === 0) return product;
  if (intercepts.length !== rows) throw new ShapeError(`${ctx.where()}: ${intercepts.length} intercepts for ${rows} rows of coefficients`);
  return bin(ctx, "add", product, ctx.const(Float32Array.from(intercepts), [1, rows], "float32"));
}

/** LinearRegressor: [N, targets] = post_transform(X · coefficientsᵀ + intercepts). */
const linearRegressor: OpImporter = (ctx, node) => {
  const targets = node.attrs.int("targets", 1);
  const transform = postTransformOf(ctx, node);
  ctx.op("identity", [applyPostTransform(ctx, linearScores(ctx, node, targets), transform)], {}, output(node));
};

/**
 * LinearClassifier: one row of coefficients per class gives the label of the highest raw score and
 * the scores after post_transform; a single row (a binary model) follows onnxruntime's binary rules.
 */
const linearClassifier: OpImporter = (ctx, node) => {
  const labels = integerLabels(ctx, node, "classlabels_ints");
  const intercepts = node.attrs.floats("intercepts", []);
  const rows = intercepts.length || labels.length;
  const binary = rows === 1 && labels.length === 2;
  if ((rows !== labels.length && !binary) || labels.length < 2)
    throw new UnsupportedOpError(
      `${ctx.where()}: ${rows} rows of coefficients for ${labels.length} labels; one row per class (two or more), or one row for two labels, is supported`,
    );
  const transform = postTransformOf(ctx, node);
  const scores = linearScores(ctx, node, rows);
  const { label, scores: final } = binary
    ? oneRowLinearScores(ctx, scores, [labels[0]!, labels[1]!], transform)
    : { label: topLabels(ctx, scores, labels), scores: applyPostTransform(ctx, scores, transform) };
  ctx.op("identity", [label], {}, output(node, 0));
  ctx.op("identity", [final], {}, output(node, 1));
};

export const ML_LINEAR_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  Scaler: scaler,
  Normalizer: normalizer,
  Binarizer: binarizer,
  ArrayFeatureExtractor: arrayFeatureExtractor,
  Imputer: imputer,
  LinearRegressor: linearRegressor,
  LinearClassifier: linearClassifier,
};
