import type { ImportContext, OnnxNode } from "../context.ts";
import { bin, input, output, requireFloatInput, scalarLike, un, type OpImporter } from "./helpers.ts";

/**
 * Activations ONNX defines as functions of elementwise math: each becomes a few HAL primitives.
 * Formulas follow the ONNX operator definitions; where a textbook form overflows (softplus)
 * the numerically stable equivalent is used.
 */
type Build = (ctx: ImportContext, node: OnnxNode, x: string, out: string | undefined) => string;

const activation =
  (build: Build): OpImporter =>
  (ctx, node) => {
    const x = input(ctx, node, 0);
    requireFloatInput(ctx, x);
    ctx.bind(output(node), build(ctx, node, x, output(node)));
  };

const c = (ctx: ImportContext, v: number, like: string) => scalarLike(ctx, v, like);

/** alpha * (exp(x) - 1) for x < 0, else x. */
const elu: Build = (ctx, node, x, out) => {
  const alpha = node.attrs.float("alpha", 1);
  const neg = bin(ctx, "mul", c(ctx, alpha, x), bin(ctx, "sub", un(ctx, "exp", x), c(ctx, 1, x)));
  return ctx.op("where", [bin(ctx, "greater", x, c(ctx, 0, x)), x, neg], {}, out);
};

const selu: Build = (ctx, node, x, out) => {
  // Selu-1's defaults were the rounded 1.6732 and 1.0507.
  const alpha = node.attrs.float("alpha", node.opset < 6 ? 1.6732 : 1.67326319217681884765625);
  const gamma = node.attrs.float("gamma", node.opset < 6 ? 1.0507 : 1.05070102214813232421875);
  const neg = bin(ctx, "sub", bin(ctx, "mul", c(ctx, alpha, x), un(ctx, "exp", x)), c(ctx, alpha, x));
  const y = ctx.op("where", [bin(ctx, "greater", x, c(ctx, 0, x)), x, neg]);
  return bin(ctx, "mul", y, c(ctx, gamma, x), out);
};

/** max(0, x) + min(0, alpha * (exp(x / alpha) - 1)). */
const celu: Build = (ctx, node, x, out) => {
  const alpha = node.attrs.float("alpha", 1);
  const e = bin(ctx, "mul", c(ctx, alpha, x), bin(ctx, "sub", un(ctx, "exp", bin(ctx, "div", x, c(ctx, alpha, x))), c(ctx, 1, x)));
  return bin(ctx, "add", bin(ctx, "maximum", x, c(ctx, 0, x)), bin(ctx, "minimum", e, c(ctx, 0, x)), out);
};

const leakyRelu: Build = (ctx, node, x, out) => {
  const alpha = node.attrs.float("alpha", 0.01);
  return ctx.op("where", [bin(ctx, "less", x, c(ctx, 0, x)), bin(ctx, "mul", x, c(ctx, alpha, x)), x], {}, out);
};

const thresholdedRelu: Build = (ctx, node, x, out) => {
  const alpha = node.attrs.float("alpha", 1);
  return ctx.op("where", [bin(ctx, "greater", x, c(ctx, alpha, x)), x, c(ctx, 0, x)], {}, out);
};

/** max(0, min(1, alpha * x + beta)). */
function hardSigmoidOf(ctx: ImportContext, x: string, alpha: number, beta: number, out?: string): string {
  const lin = bin(ctx, "add", bin(ctx, "mul", x, c(ctx, alpha, x)), c(ctx, beta, x));
  return bin(ctx, "maximum", bin(ctx, "minimum", lin, c(ctx, 1, x)), c(ctx, 0, x), out);
}

const hardSigmoid: Build = (ctx, node, x, out) => hardSigmoidOf(ctx, x, node.attrs.float("alpha", 0.2), node.attrs.float("beta", 0.5), out);

const hardSwish: Build = (ctx, _node, x, out) => bin(ctx, "mul", x, hardSigmoidOf(ctx, x, 1 / 6, 0.5), out);

/** log(1 + exp(x)): the HAL's softplus composite (its decomposition never overflows). */
function softplusOf(ctx: ImportContext, x: string, out?: string): string {
  return ctx.op("softplus", [x], {}, out);
}

const softplus: Build = (ctx, _node, x, out) => softplusOf(ctx, x, out);

const softsign: Build = (ctx, _node, x, out) => bin(ctx, "div", x, bin(ctx, "add", c(ctx, 1, x), un(ctx, "abs", x)), out);

const mish: Build = (ctx, _node, x, out) => bin(ctx, "mul", x, un(ctx, "tanh", softplusOf(ctx, x)), out);

const swish: Build = (ctx, node, x, out) => {
  const alpha = node.attrs.float("alpha", 1);
  const ax = alpha === 1 ? x : bin(ctx, "mul", x, c(ctx, alpha, x));
  return bin(ctx, "mul", x, un(ctx, "sigmoid", ax), out);
};

/** Gelu: 0.5·x·(1 + erf(x/√2)), or with approximate="tanh" 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
const gelu: Build = (ctx, node, x, out) => geluOf(ctx, x, node.attrs.string("approximate", "none") === "tanh", out);

export function geluOf(ctx: ImportContext, x: string, tanh: boolean, out?: string): string {
  let inner: string;
  if (tanh) {
    const cube = bin(ctx, "mul", bin(ctx, "mul", x, x), x);
    const arg = bin(ctx, "mul", c(ctx, Math.sqrt(2 / Math.PI), x), bin(ctx, "add", x, bin(ctx, "mul", c(ctx, 0.044715, x), cube)));
    inner = un(ctx, "tanh", arg);
  } else {
    inner = un(ctx, "erf", bin(ctx, "mul", x, c(ctx, Math.SQRT1_2, x)));
  }
  return bin(ctx, "mul", bin(ctx, "mul", c(ctx, 0.5, x), x), bin(ctx, "add", c(ctx, 1, x), inner), out);
}

/** PRelu: slope broadcasts onto x (unidirectionally); before opset 7 a [C] slope is per channel (dim 1). */
const prelu: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  let slope = input(ctx, node, 1);
  const rank = ctx.rank(x);
  if (node.opset < 7 && ctx.rank(slope) === 1 && rank > 2 && ctx.dims(slope)[0] !== 1 && ctx.dims(slope)[0] === ctx.dims(x)[1]) {
    slope = ctx.op("unsqueeze", [slope], { axes: Array.from({ length: rank - 2 }, (_, i) => i + 1) });
  }
  ctx.op("where", [bin(ctx, "less", x, c(ctx, 0, x)), bin(ctx, "mul", x, slope), x], {}, output(node));
};

export const ACTIVATION_IMPORTERS: Record<string, OpImporter> = {
  Elu: activation(elu),
  Selu: activation(selu),
  Celu: activation(celu),
  LeakyRelu: activation(leakyRelu),
  ThresholdedRelu: activation(thresholdedRelu),
  HardSigmoid: activation(hardSigmoid),
  HardSwish: activation(hardSwish),
  Softplus: activation(softplus),
  Softsign: activation(softsign),
  Mish: activation(mish),
  Swish: activation(swish),
  Gelu: activation(gelu),
  PRelu: prelu,
};
