import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, output, un, type OpImporter } from "./helpers.ts";
import { secondColumn } from "./ml-binary.ts";
import { pairwiseCoupling } from "./ml-svm-probability.ts";
import { applyPostTransform, featureMatrix, integerLabels, postTransformOf, topLabels } from "./ml-scores.ts";

/**
 * ai.onnx.ml SVMRegressor and SVMClassifier (scikit-learn's SVR/SVC/LinearSVC exports) as matmuls
 * and elementwise ops: the kernel of every row with every support vector, then the per-pair
 * decision values, votes and scores as onnxruntime computes them; with prob_a/prob_b, the class
 * probabilities of libsvm's pairwise coupling (ml-svm-probability.ts).
 */

/** The coupling grows by ~50 nodes per class and round, unrolled over 100 rounds: 8 classes import in a few seconds. */
const MAX_PROBABILITY_CLASSES = 8;

type Kernel = "LINEAR" | "POLY" | "RBF" | "SIGMOID";
const KERNELS: readonly Kernel[] = ["LINEAR", "POLY", "RBF", "SIGMOID"];

interface KernelSpec {
  kind: Kernel;
  gamma: number;
  coef0: number;
  degree: number;
}

function kernelOf(ctx: ImportContext, node: OnnxNode): KernelSpec {
  const kind = node.attrs.string("kernel_type", "LINEAR");
  if (!KERNELS.includes(kind as Kernel)) throw new UnsupportedOpError(`${ctx.where()}: unknown kernel_type '${kind}' (LINEAR, POLY, RBF, SIGMOID)`);
  const [gamma = 0, coef0 = 0, degree = 0] = node.attrs.floats("kernel_params", []);
  return { kind: kind as Kernel, gamma, coef0, degree };
}

/** [N, V]: the kernel of each row of x [N, F] with each of the V support vectors. */
function kernelMatrix(ctx: ImportContext, x: string, vectors: readonly number[], count: number, features: number, k: KernelSpec): string {
  const f32 = (v: number) => ctx.scalar(v, "float32");
  const sv = ctx.const(Float32Array.from(vectors), [count, features], "float32");
  if (k.kind === "RBF") {
    // Σ (x − sv)² term by term, as onnxruntime sums it (no ‖x‖² − 2x·sv + ‖sv‖² cancellation).
    const diff = bin(ctx, "sub", ctx.op("unsqueeze", [x], { axes: [1] }), ctx.op("unsqueeze", [sv], { axes: [0] }));
    const distance = ctx.op("reduceSum", [bin(ctx, "mul", diff, diff)], { axes: [2], keepDims: false });
    return un(ctx, "exp", bin(ctx, "mul", distance, f32(-k.gamma)));
  }
  const dot = ctx.op("matmul", [x, ctx.op("permute", [sv], { dims: [1, 0] })]);
  if (k.kind === "LINEAR") return dot;
  const affine = bin(ctx, "add", bin(ctx, "mul", dot, f32(k.gamma)), f32(k.coef0));
  return k.kind === "SIGMOID" ? un(ctx, "tanh", affine) : bin(ctx, "pow", affine, f32(k.degree));
}

function requireFeatures(ctx: ImportContext, features: number | undefined, expected: number, what: string): void {
  if (features !== undefined && features !== expected) throw new ShapeError(`${ctx.where()}: the input has ${features} features, ${what} ${expected}`);
}

/** SVMRegressor: [N, 1] = Σ coefficients · kernel(x, support vectors) + rho, or a linear model without support vectors. */
const svmRegressor: OpImporter = (ctx, node) => {
  const { x, features } = featureMatrix(ctx, node);
  const coefficients = node.attrs.floats("coefficients", []);
  const rho = node.attrs.floats("rho", []);
  if (coefficients.length === 0 || rho.length === 0) throw new ShapeError(`${ctx.where()}: coefficients and rho are required`);
  const supports = node.attrs.int("n_supports", 0);
  let score: string;
  if (supports > 0) {
    const vectors = node.attrs.floats("support_vectors", []);
    const f = vectors.length / supports;
    if (!Number.isInteger(f) || f === 0) throw new ShapeError(`${ctx.where()}: ${vectors.length} support_vectors values do not make ${supports} vectors`);
    if (coefficients.length !== supports) throw new ShapeError(`${ctx.where()}: ${coefficients.length} coefficients for ${supports} support vectors`);
    requireFeatures(ctx, features, f, "the support vectors");
    const kernels = kernelMatrix(ctx, x, vectors, supports, f, kernelOf(ctx, node));
    score = ctx.op("matmul", [kernels, ctx.const(Float32Array.from(coefficients), [supports, 1], "float32")]);
  } else {
    requireFeatures(ctx, features, coefficients.length, "the coefficients");
    score = ctx.op("matmul", [x, ctx.const(Float32Array.from(coefficients), [coefficients.length, 1], "float32")]);
  }
  const shifted = bin(ctx, "add", score, ctx.scalar(rho[0]!, "float32"));
  // onnxruntime applies no post_transform to an SVM regression; one_class gives ±1.
  const final =
    node.attrs.int("one_class", 0) !== 0
      ? ctx.op("where", [bin(ctx, "greater", shifted, ctx.scalar(0, "float32")), ctx.scalar(1, "float32"), ctx.scalar(-1, "float32")])
      : shifted;
  ctx.op("identity", [final], {}, output(node));
};

/**
 * The one-vs-one decision values [N, P] of an SVC (P = C(C−1)/2 class pairs i < j, in that order):
 * for pair (i, j), class i's vectors weighted by coefficient row j−1 and class j's by row i, plus rho.
 */
function pairScores(ctx: ImportContext, kernels: string, perClass: readonly number[], coefficients: readonly number[], rho: readonly number[]): string {
  const classes = perClass.length;
  const vectors = perClass.reduce((a, b) => a + b, 0);
  const start = perClass.map((_, c) => perClass.slice(0, c).reduce((a, b) => a + b, 0));
  const pairs = (classes * (classes - 1)) / 2;
  const weights = new Float32Array(vectors * pairs);
  let p = 0;
  for (let i = 0; i < classes; i++)
    for (let j = i + 1; j < classes; j++, p++) {
      for (let m = start[i]!; m < start[i]! + perClass[i]!; m++) weights[m * pairs + p] = coefficients[(j - 1) * vectors + m]!;
      for (let m = start[j]!; m < start[j]! + perClass[j]!; m++) weights[m * pairs + p] = coefficients[i * vectors + m]!;
    }
  const scores = ctx.op("matmul", [kernels, ctx.const(weights, [vectors, pairs], "float32")]);
  return bin(ctx, "add", scores, ctx.const(Float32Array.from(rho), [1, pairs], "float32"));
}

/** [N, C] votes: each pair's decision value votes for its first class when positive, else for its second. */
function pairVotes(ctx: ImportContext, scores: string, classes: number): string {
  const pairs = (classes * (classes - 1)) / 2;
  const first = new Float32Array(pairs * classes);
  const second = new Float32Array(pairs * classes);
  let p = 0;
  for (let i = 0; i < classes; i++)
    for (let j = i + 1; j < classes; j++, p++) {
      first[p * classes + i] = 1;
      second[p * classes + j] = 1;
    }
  const wins = ctx.op("cast", [bin(ctx, "greater", scores, ctx.scalar(0, "float32"))], { to: "float32" });
  const losses = bin(ctx, "sub", ctx.scalar(1, "float32"), wins);
  const table = (t: Float32Array) => ctx.const(t, [pairs, classes], "float32");
  return bin(ctx, "add", ctx.op("matmul", [wins, table(first)]), ctx.op("matmul", [losses, table(second)]));
}

/**
 * SVMClassifier. With support vectors (SVC): the label of the most votes over the class pairs; the
 * scores are the pairs' decision values after post_transform, and for two classes [−s, s] (NONE),
 * [σ(−s), σ(s)] (LOGISTIC) or [1 − s, s]. Without (liblinear): one row of coefficients per class plus rho[0], the label of the
 * highest score (for two classes onnxruntime's threshold rule), the scores after post_transform.
 */
const svmClassifier: OpImporter = (ctx, node) => {
  const labels = integerLabels(ctx, node, "classlabels_ints");
  const classes = labels.length;
  if (classes < 2) throw new UnsupportedOpError(`${ctx.where()}: ${classes} class label(s); two or more are supported`);
  const probA = node.attrs.floats("prob_a", []);
  const probB = node.attrs.floats("prob_b", []);
  if (probA.length !== probB.length) throw new ShapeError(`${ctx.where()}: ${probA.length} prob_a values but ${probB.length} prob_b values`);
  const withProbabilities = probA.length > 0;
  const { x, features } = featureMatrix(ctx, node);
  const transform = postTransformOf(ctx, node);
  const coefficients = node.attrs.floats("coefficients", []);
  const rho = node.attrs.floats("rho", []);
  if (coefficients.length === 0 || rho.length === 0) throw new ShapeError(`${ctx.where()}: coefficients and rho are required`);
  const perClass = node.attrs.ints("vectors_per_class", []);
  const vectors = perClass.reduce((a, b) => a + b, 0);
  const emit = (label: string, scores: string) => {
    ctx.op("identity", [label], {}, output(node, 0));
    ctx.op("identity", [scores], {}, output(node, 1));
  };
  if (vectors === 0) {
    const f = coefficients.length / classes;
    if (!Number.isInteger(f)) throw new ShapeError(`${ctx.where()}: ${coefficients.length} coefficients do not make ${classes} rows`);
    requireFeatures(ctx, features, f, "the coefficients");
    const weights = ctx.const(Float32Array.from(coefficients), [classes, f], "float32");
    const scores = bin(ctx, "add", ctx.op("matmul", [x, ctx.op("permute", [weights], { dims: [1, 0] })]), ctx.scalar(rho[0]!, "float32"));
    // With prob_a (which liblinear scores ignore) onnxruntime skips its two-class threshold rule.
    const label = withProbabilities ? topLabels(ctx, scores, labels) : linearLabel(ctx, scores, labels, coefficients);
    return emit(label, applyPostTransform(ctx, scores, transform));
  }
  if (perClass.length !== classes) throw new ShapeError(`${ctx.where()}: vectors_per_class has ${perClass.length} entries for ${classes} classes`);
  const supportVectors = node.attrs.floats("support_vectors", []);
  const f = supportVectors.length / vectors;
  if (!Number.isInteger(f) || f === 0) throw new ShapeError(`${ctx.where()}: ${supportVectors.length} support_vectors values do not make ${vectors} vectors`);
  if (coefficients.length !== (classes - 1) * vectors)
    throw new ShapeError(`${ctx.where()}: ${coefficients.length} coefficients, expected (classes − 1) × vectors = ${(classes - 1) * vectors}`);
  const pairs = (classes * (classes - 1)) / 2;
  if (rho.length !== pairs) throw new ShapeError(`${ctx.where()}: ${rho.length} rho values for ${pairs} class pairs`);
  requireFeatures(ctx, features, f, "the support vectors");
  const scores = pairScores(ctx, kernelMatrix(ctx, x, supportVectors, vectors, f, kernelOf(ctx, node)), perClass, coefficients, rho);
  const label = topLabels(ctx, pairVotes(ctx, scores, classes), labels);
  if (withProbabilities) {
    if (probA.length !== pairs) throw new ShapeError(`${ctx.where()}: ${probA.length} prob_a values for ${pairs} class pairs`);
    if (classes > MAX_PROBABILITY_CLASSES)
      throw new UnsupportedOpError(
        `${ctx.where()}: probability estimates (prob_a/prob_b) for ${classes} classes are not supported (the pairwise coupling is unrolled at import, 100 rounds, and up to ${MAX_PROBABILITY_CLASSES} classes stay quick to import); export the SVC with probability=False`,
      );
    return emit(label, applyPostTransform(ctx, pairwiseCoupling(ctx, scores, classes, probA, probB), transform));
  }
  if (classes > 2) return emit(label, applyPostTransform(ctx, scores, transform));
  emit(label, secondColumn(ctx, scores, transform, transform !== "NONE"));
};

/**
 * The liblinear label: the class of the highest score; with two classes onnxruntime picks the second
 * when that score is ≥ 0.5 (all coefficients non-negative) or > 0 (mixed), whichever class it is.
 */
function linearLabel(ctx: ImportContext, scores: string, labels: readonly number[], coefficients: readonly number[]): string {
  const best = topLabels(ctx, scores, labels);
  if (labels.length !== 2) return best;
  const allPositive = coefficients.every((c) => c >= 0);
  const top = ctx.op("reduceMax", [scores], { axes: [1], keepDims: false });
  const second = allPositive ? bin(ctx, "greaterEqual", top, ctx.scalar(0.5, "float32")) : bin(ctx, "greater", top, ctx.scalar(0, "float32"));
  return ctx.op("where", [second, ctx.scalar(labels[1]!, "int32"), best]);
}

export const ML_SVM_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  SVMRegressor: svmRegressor,
  SVMClassifier: svmClassifier,
};
