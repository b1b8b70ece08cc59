import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, castTo, input, optionalInput, output, requireFloatInput, scalarLike, un, type OpImporter } from "./helpers.ts";

/**
 * −logProb[n, target[n, …], …] · weight[target] per element ([N, d1, …]), 0 where the target is
 * ignore_index, then reduced: "none", "sum", or "mean" = the sum over the summed weights of the
 * elements not ignored (their count without weights).
 */
function negativeLogLikelihood(ctx: ImportContext, node: OnnxNode, logProb: string, target: string, weight: string | undefined, out: string | undefined): void {
  const dims = ctx.shape(logProb, node.opType);
  if (dims.length < 2) throw new ShapeError(`${ctx.where()}: input must be [N, C, ...], got [${dims.join(", ")}]`);
  const labels = castTo(ctx, target, "int32");
  const want = [dims[0]!, ...dims.slice(2)];
  const got = ctx.shape(labels, `${node.opType}'s target`);
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) throw new ShapeError(`${ctx.where()}: target must be [${want}], got [${got}]`);
  const ignoreIndex = node.attrs.int("ignore_index");
  const kept = ignoreIndex === undefined ? undefined : bin(ctx, "notEqual", labels, ctx.scalar(ignoreIndex, "int32"));
  // An ignored label may lie outside [0, C): read class 0 there, weighted by 0.
  const safe = kept ? ctx.op("where", [kept, labels, ctx.scalar(0, "int32")]) : labels;
  const picked = ctx.op("squeeze", [ctx.op("gatherElements", [logProb, ctx.op("unsqueeze", [safe], { axes: [1] })], { axis: 1 })], { axes: [1] });
  const zero = scalarLike(ctx, 0, logProb);
  let weights = weight ? ctx.op("gather", [castTo(ctx, weight, ctx.dtype(logProb)), safe], { axis: 0 }) : undefined;
  if (kept) weights = ctx.op("where", [kept, weights ?? scalarLike(ctx, 1, logProb), zero]);
  const loss = weights ? bin(ctx, "mul", un(ctx, "neg", picked), weights) : un(ctx, "neg", picked);
  const reduction = node.attrs.string("reduction", "mean");
  const all = want.map((_, i) => i);
  const total = (v: string) => ctx.op("reduceSum", [v], { axes: all, keepDims: false });
  if (reduction === "none") ctx.bind(out, loss);
  else if (reduction === "sum") ctx.bind(out, total(loss));
  else if (reduction === "mean") {
    const count = weights
      ? total(weights)
      : scalarLike(
          ctx,
          want.reduce((a, b) => a * b, 1),
          logProb,
        );
    bin(ctx, "div", total(loss), count, out);
  } else throw new UnsupportedOpError(`${ctx.where()}: reduction '${reduction}' is not none, sum or mean`);
}

/** NegativeLogLikelihoodLoss: the input holds log-probabilities over classes along axis 1. */
const negativeLogLikelihoodLoss: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  requireFloatInput(ctx, x);
  negativeLogLikelihood(ctx, node, x, input(ctx, node, 1), optionalInput(node, 2), output(node));
};

/** SoftmaxCrossEntropyLoss: NegativeLogLikelihoodLoss of logSoftmax(scores) along axis 1, which is the optional second output. */
const softmaxCrossEntropyLoss: OpImporter = (ctx, node) => {
  const scores = input(ctx, node, 0);
  requireFloatInput(ctx, scores);
  const logProb = ctx.op("logSoftmax", [scores], { axis: 1 }, output(node, 1));
  negativeLogLikelihood(ctx, node, logProb, input(ctx, node, 1), optionalInput(node, 2), output(node));
};

export const LOSS_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  NegativeLogLikelihoodLoss: negativeLogLikelihoodLoss,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLoss,
};
