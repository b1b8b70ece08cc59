import { DTypeError, ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, castTo, input, un } from "./helpers.ts";

/**
 * What the ai.onnx.ml scorers (linear models, tree ensembles) share: their input read as a float32
 * [N, F] matrix, the post_transform applied to [N, C] scores the way onnxruntime applies it, and
 * integer class labels picked by the highest score.
 */

export type PostTransform = "NONE" | "SOFTMAX" | "LOGISTIC" | "SOFTMAX_ZERO" | "PROBIT";
const TRANSFORMS: readonly PostTransform[] = ["NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT"];

/** The post_transform attribute: an enum (int) in TreeEnsemble, a string in the other scorers. */
export function postTransformOf(ctx: ImportContext, node: OnnxNode): PostTransform {
  const name = node.opType === "TreeEnsemble" ? TRANSFORMS[node.attrs.int("post_transform", 0)] : node.attrs.string("post_transform", "NONE");
  if (!name || !TRANSFORMS.includes(name as PostTransform)) throw new UnsupportedOpError(`${ctx.where()}: unknown post_transform '${String(name)}'`);
  if (name === "PROBIT")
    throw new UnsupportedOpError(`${ctx.where()}: post_transform PROBIT is not supported (onnxruntime uses its own approximation of the inverse normal CDF)`);
  return name as PostTransform;
}

/** Input X as float32 [N, F]: a 1-D input is one row, as onnxruntime reads it; integers and doubles are cast. */
export function featureMatrix(ctx: ImportContext, node: OnnxNode): { x: string; features: number | undefined } {
  const raw = input(ctx, node, 0);
  const dtype = ctx.dtype(raw);
  if (dtype === "bool") throw new DTypeError(`${ctx.where()}: expects numeric features, got bool '${raw}'`);
  const rank = ctx.rank(raw);
  if (rank !== 1 && rank !== 2) throw new ShapeError(`${ctx.where()}: expects features of shape [N, F] or [F], got rank ${rank}`);
  const x = castTo(ctx, rank === 1 ? ctx.op("unsqueeze", [raw], { axes: [0] }) : raw, "float32");
  const f = ctx.dims(x)[1];
  return { x, features: typeof f === "number" ? f : undefined };
}

/** Scores [N, C] after `transform` along the classes, as onnxruntime's write_scores does for C ≥ 2 and C = 1. */
export function applyPostTransform(ctx: ImportContext, scores: string, transform: PostTransform): string {
  switch (transform) {
    case "NONE":
    case "PROBIT":
      return scores;
    case "LOGISTIC":
      return un(ctx, "sigmoid", scores);
    case "SOFTMAX":
      return ctx.op("softmax", [scores], { axis: 1 });
    case "SOFTMAX_ZERO": {
      // Scores within 1e-7 of zero stay zero; the others are a softmax among themselves (max over all).
      const top = ctx.op("reduceMax", [scores], { axes: [1], keepDims: true });
      const zero = ctx.scalar(0, "float32");
      const isZero = bin(ctx, "lessEqual", un(ctx, "abs", scores), ctx.scalar(1e-7, "float32"));
      const e = ctx.op("where", [isZero, zero, un(ctx, "exp", bin(ctx, "sub", scores, top))]);
      return bin(ctx, "div", e, ctx.op("reduceSum", [e], { axes: [1], keepDims: true }));
    }
  }
}

/**
 * The label of the highest score of each row ([N], int32 holding ONNX's int64), the first on ties;
 * `eligible` ([N, C] bool) leaves classes out (a tree classifier's classes no leaf voted for).
 */
export function topLabels(ctx: ImportContext, scores: string, labels: readonly number[], eligible?: string): string {
  const ranked = eligible ? ctx.op("where", [eligible, scores, ctx.scalar(Number.NEGATIVE_INFINITY, "float32")]) : scores;
  const best = ctx.op("argMax", [ranked], { axis: 1, keepDims: false });
  return ctx.op("gather", [ctx.const(Int32Array.from(labels), [labels.length], "int32"), best], { axis: 0 });
}

/** Integer class labels; string labels need a string dtype Polychip does not have. */
export function integerLabels(ctx: ImportContext, node: OnnxNode, intsName: string): number[] {
  if (node.attrs.strings("classlabels_strings")?.length)
    throw new DTypeError(`${ctx.where()}: string class labels are not supported (Polychip has no string dtype); export the model with integer labels`);
  const labels = node.attrs.ints(intsName);
  if (!labels?.length) throw new ShapeError(`${ctx.where()}: ${intsName} is missing`);
  for (const v of labels)
    if (!Number.isSafeInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new DTypeError(`${ctx.where()}: class label ${v} does not fit int32`);
  return labels;
}
