import type { ImportContext } from "../context.ts";
import { bin, un } from "./helpers.ts";
import { applyPostTransform, type PostTransform } from "./ml-scores.ts";

/**
 * The "binary case" of onnxruntime's classifiers: how it turns the votes of a two-class (or
 * one-class) tree ensemble, or one row of linear coefficients, into a label and two score
 * columns. ONNX leaves this open; onnxruntime decides per row from which classes got any vote,
 * how many base_values there are, whether the leaves' weights are all positive, and then either
 * transforms both columns or derives the first from the second. Polychip lowers the same
 * decisions onto `where` over [N, 1] columns, so every device runs them.
 */

/** The static facts onnxruntime's binary rules depend on. */
export interface TwoClassRule {
  /** base_values: 0, 1 or 2 of them (other counts are refused by the caller). */
  base: readonly number[];
  /** Every vote names the same class (onnxruntime's `binary_case_`). */
  oneClassVoted: boolean;
  /** No vote weight is negative. */
  allPositive: boolean;
  labels: readonly [number, number];
  transform: PostTransform;
}

const column = (ctx: ImportContext, t: string, k: number) => ctx.op("slice", [t], { starts: [k], ends: [k + 1], axes: [1] });
const pick = (ctx: ImportContext, mask: string, a: string, b: string) => ctx.op("where", [mask, a, b]);
const pair = (ctx: ImportContext, first: string, second: string) => ctx.op("concat", [first, second], { axis: 1 });

/**
 * A two-class tree classifier's [N] int32 labels and [N, 2] scores, from the summed votes [N, 2]
 * and whether any reached leaf voted for each class ([N, 2] bool).
 */
export function twoClassTreeScores(ctx: ImportContext, sums: string, voted: string, rule: TwoClassRule): { label: string; scores: string } {
  const f32 = (v: number) => ctx.scalar(v, "float32");
  const zero = f32(0);
  const [s0, s1] = [column(ctx, sums, 0), column(ctx, sums, 1)];
  const [h0, h1] = [column(ctx, voted, 0), column(ctx, voted, 1)];
  const { base } = rule;
  let v0 = base.length >= 1 ? bin(ctx, "add", s0, f32(base[0]!)) : s0;
  let v1 = s1;
  // Two base values and a vote for the second class: onnxruntime replaces that class's score by
  // base_values[1] plus the first class's sum, and the first class's by its negation.
  if (base.length === 2) {
    const replaced = bin(ctx, "add", s0, f32(base[1]!));
    v1 = pick(ctx, h1, replaced, bin(ctx, "add", s1, f32(base[1]!)));
    v0 = pick(ctx, h1, un(ctx, "neg", replaced), v0);
  }
  // A class nobody voted for reads as 0 whatever was added to it.
  const f0 = pick(ctx, h0, v0, zero);
  const f1 = pick(ctx, h1, v1, zero);
  const positiveWeight = pick(ctx, h1, v1, f0);
  const threshold = rule.oneClassVoted && rule.allPositive ? 0.5 : 0;
  const positive = bin(ctx, "greater", positiveWeight, f32(threshold));
  const [negativeLabel, positiveLabel] = rule.oneClassVoted ? rule.labels : [0, 1];
  const label = pick(ctx, positive, ctx.scalar(positiveLabel, "int32"), ctx.scalar(negativeLabel, "int32"));
  // Both columns when the second class has a score (always, with two base values); otherwise the
  // second column is the first's score and the first is derived from it.
  const both = applyPostTransform(ctx, pair(ctx, f0, f1), rule.transform);
  const derived = secondColumn(ctx, f0, rule.transform, rule.oneClassVoted && rule.allPositive);
  const scores = base.length === 2 ? both : pick(ctx, h1, both, derived);
  return { label: ctx.op("reshape", [label], { shape: [-1] }), scores };
}

/**
 * The two columns onnxruntime writes from one score u: [σ(−u), σ(u)] under LOGISTIC; otherwise
 * [1 − u, u] (`complement`, all-positive weights) or [−u, u], with no other post_transform applied.
 */
export function secondColumn(ctx: ImportContext, u: string, transform: PostTransform, complement: boolean): string {
  const minus = un(ctx, "neg", u);
  if (transform === "LOGISTIC") return pair(ctx, un(ctx, "sigmoid", minus), un(ctx, "sigmoid", u));
  return pair(ctx, complement ? bin(ctx, "sub", ctx.scalar(1, "float32"), u) : minus, u);
}

/**
 * A one-class tree classifier (onnxruntime's single-score path): the [N, 1] sum `s` of each reached
 * leaf's first weight; the label is 1 where the score is positive, else 0 (literally, not the class
 * label); the score is s (+ base_values[0]), or with two base values the first of post_transform
 * applied to [−(s + base_values[1]), s + base_values[1]].
 */
export function oneClassTreeScores(ctx: ImportContext, sums: string, base: readonly number[], transform: PostTransform): { label: string; scores: string } {
  const f32 = (v: number) => ctx.scalar(v, "float32");
  const shifted = base.length === 2 ? bin(ctx, "add", sums, f32(base[1]!)) : base.length === 1 ? bin(ctx, "add", sums, f32(base[0]!)) : sums;
  const scores = base.length === 2 ? column(ctx, applyPostTransform(ctx, pair(ctx, un(ctx, "neg", shifted), shifted), transform), 0) : shifted;
  return { label: positiveOrZero(ctx, shifted), scores };
}

/** [N] int32: 1 where the [N, 1] score is above zero, else 0. */
function positiveOrZero(ctx: ImportContext, score: string): string {
  const above = bin(ctx, "greater", score, ctx.scalar(0, "float32"));
  return ctx.op("reshape", [ctx.op("cast", [above], { to: "int32" })], { shape: [-1] });
}

/**
 * LinearClassifier with one row of coefficients for two labels: labels[1] where the score s is
 * positive, else labels[0]; the scores [σ(−s), σ(s)] under LOGISTIC, else [1 − s, s].
 */
export function oneRowLinearScores(
  ctx: ImportContext,
  score: string,
  labels: readonly [number, number],
  transform: PostTransform,
): { label: string; scores: string } {
  const above = bin(ctx, "greater", score, ctx.scalar(0, "float32"));
  const label = pick(ctx, above, ctx.scalar(labels[1], "int32"), ctx.scalar(labels[0], "int32"));
  return { label: ctx.op("reshape", [label], { shape: [-1] }), scores: secondColumn(ctx, score, transform, true) };
}
