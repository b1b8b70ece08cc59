import { ShapeError, UnsupportedOpError } from "@polychip/hal";
import { AttributeType, type AttributeProto } from "../../proto/types.ts";
import { NodeAttributes } from "../attributes.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { ACTIVATION_IMPORTERS, geluOf } from "./activations.ts";
import { conv } from "./conv.ts";
import { bin, input, optionalInput, output, refuseUnknownAttributes, scalarLike, un, type OpImporter } from "./helpers.ts";
import { matmulOf } from "./matmul.ts";

/**
 * The fused operators onnxruntime's own graph optimiser writes (level "extended") when it saves
 * an optimised model: a Conv, Gemm or MatMul with the activation, scale or transposes it
 * absorbed. Semantics as onnxruntime's CPU kernels define them (contrib_ops/cpu/fused_*.cc,
 * ContribOperators.md); each is lowered back onto the ops it fused.
 */

/** The named parameters each fused activation reads, in the order FusedConv's activation_params lists them. */
const ACTIVATION_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  Relu: [],
  Tanh: [],
  Sigmoid: [],
  Silu: [],
  Softsign: [],
  Softplus: [],
  LeakyRelu: ["alpha"],
  Elu: ["alpha"],
  Celu: ["alpha"],
  ThresholdedRelu: ["alpha"],
  Selu: ["alpha", "gamma"],
  HardSigmoid: ["alpha", "beta"],
  Clip: ["min", "max"],
  ScaledTanh: ["alpha", "beta"],
  ParametricSoftplus: ["alpha", "beta"],
};

/**
 * `activation`(x) with its parameters by name; parameters the activation does not read are
 * refused, missing ones take the ONNX operator's defaults (ScaledTanh and ParametricSoftplus,
 * onnxruntime's own, need theirs).
 */
function activationOf(ctx: ImportContext, node: OnnxNode, activation: string, params: Readonly<Record<string, number>>, x: string, out?: string): string {
  const names = ACTIVATION_PARAMETERS[activation];
  if (!names) {
    throw new UnsupportedOpError(
      `${ctx.where()}: ${node.opType}'s activation '${activation}' is not supported (${Object.keys(ACTIVATION_PARAMETERS).join(", ")} are)`,
    );
  }
  const extra = Object.keys(params).filter((p) => !names.includes(p));
  if (extra.length) throw new UnsupportedOpError(`${ctx.where()}: ${node.opType}'s activation ${activation} takes no parameter ${extra.join(", ")}`);
  const c = (v: number) => scalarLike(ctx, v, x);
  const need = (name: string) => {
    const v = params[name];
    if (v === undefined) throw new UnsupportedOpError(`${ctx.where()}: ${node.opType}'s activation ${activation} needs its ${name}`);
    return v;
  };
  switch (activation) {
    case "Relu":
      return un(ctx, "relu", x, out);
    case "Tanh":
      return un(ctx, "tanh", x, out);
    case "Sigmoid":
      return un(ctx, "sigmoid", x, out);
    case "Silu":
      return bin(ctx, "mul", x, un(ctx, "sigmoid", x), out);
    case "Clip":
      return bin(ctx, "minimum", bin(ctx, "maximum", x, c(need("min"))), c(need("max")), out);
    case "ScaledTanh":
      return bin(ctx, "mul", c(need("alpha")), un(ctx, "tanh", bin(ctx, "mul", x, c(need("beta")))), out);
    case "ParametricSoftplus":
      return bin(ctx, "mul", c(need("alpha")), ctx.op("softplus", [bin(ctx, "mul", x, c(need("beta")))]), out);
  }
  // The rest are ONNX operators: their importers read the parameters as attributes.
  const attrs: AttributeProto[] = Object.entries(params).map(([name, f]) => ({ name, type: AttributeType.FLOAT, f }));
  const y = out ?? ctx.fresh(activation);
  const activationNode: OnnxNode = {
    ...node,
    opType: activation,
    domain: "",
    opset: 22,
    inputs: [x],
    outputs: [y],
    attrs: new NodeAttributes(ctx.where(), attrs),
  };
  ACTIVATION_IMPORTERS[activation]!(ctx, activationNode);
  return y;
}

/**
 * FusedConv(X, W, B?, Z?): activation(Conv(X, W, B) + Z). The Conv attributes are Conv's; the
 * activation's parameters come positionally in activation_params (onnxruntime's MLAS activations:
 * Relu, Tanh, Sigmoid, Silu, LeakyRelu [alpha], Clip [min, max], HardSigmoid [alpha, beta]).
 */
const FUSED_CONV_ACTIVATIONS = ["Relu", "Tanh", "Sigmoid", "Silu", "LeakyRelu", "Clip", "HardSigmoid"];

const fusedConv: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, ["auto_pad", "kernel_shape", "dilations", "strides", "pads", "group", "activation", "activation_params"]);
  const activation = node.attrs.string("activation");
  const values = node.attrs.floats("activation_params", []);
  if (activation !== undefined && !FUSED_CONV_ACTIVATIONS.includes(activation)) {
    throw new UnsupportedOpError(`${ctx.where()}: FusedConv's activation '${activation}' is not supported (${FUSED_CONV_ACTIVATIONS.join(", ")} are)`);
  }
  const names = activation ? ACTIVATION_PARAMETERS[activation]! : [];
  if (values.length !== names.length) {
    throw new UnsupportedOpError(
      `${ctx.where()}: FusedConv's activation ${activation ?? "(none)"} takes ${names.length} activation_params, got ${values.length}`,
    );
  }
  const z = optionalInput(node, 3);
  const convOut = !z && !activation && output(node) ? output(node)! : ctx.fresh("fused_conv");
  conv(ctx, { ...node, inputs: node.inputs.slice(0, 3), outputs: [convOut] });
  let y = convOut;
  if (z) y = bin(ctx, "add", y, z, activation ? undefined : output(node));
  if (activation) y = activationOf(ctx, node, activation, Object.fromEntries(names.map((n, i) => [n, values[i]!])), y, output(node));
  ctx.bind(output(node), y);
};

/**
 * FusedGemm(A, B, C?): activation(alpha·A'·B' + beta·C), A and B 2-D. The activation is any of
 * onnxruntime's elementwise functors, its parameters in activation_alpha/beta/gamma.
 */
const fusedGemm: OpImporter = (ctx, node) => {
  const paramAttrs = ["activation_alpha", "activation_beta", "activation_gamma"];
  refuseUnknownAttributes(ctx, node, ["transA", "transB", "alpha", "beta", "activation", ...paramAttrs]);
  const a = input(ctx, node, 0);
  const b = input(ctx, node, 1);
  const c = optionalInput(node, 2);
  if (ctx.rank(a) !== 2 || ctx.rank(b) !== 2) throw new ShapeError(`${ctx.where()}: A and B must be 2-D, got ranks ${ctx.rank(a)} and ${ctx.rank(b)}`);
  const alpha = node.attrs.float("alpha", 1);
  const beta = node.attrs.float("beta", 1);
  let y = ctx.op("matmul", [a, b], { transposeA: node.attrs.int("transA", 0) !== 0, transposeB: node.attrs.int("transB", 0) !== 0 });
  if (alpha !== 1) y = bin(ctx, "mul", y, scalarLike(ctx, alpha, y));
  if (c) y = bin(ctx, "add", y, beta === 1 ? c : bin(ctx, "mul", c, scalarLike(ctx, beta, c)));
  const activation = node.attrs.string("activation");
  const params = Object.fromEntries(paramAttrs.flatMap((p) => (node.attrs.has(p) ? [[p.slice("activation_".length), node.attrs.float(p)!]] : [])));
  if (activation === undefined || activation === "") {
    if (Object.keys(params).length) throw new UnsupportedOpError(`${ctx.where()}: FusedGemm has activation parameters but no activation`);
    ctx.bind(output(node), y);
    return;
  }
  if (activation === "Silu" || activation === "Clip")
    throw new UnsupportedOpError(`${ctx.where()}: FusedGemm's activation '${activation}' is not supported (onnxruntime's FusedGemm has none)`);
  activationOf(ctx, node, activation, params, y, output(node));
};

/** The permutation that brings A's (or B's) first dim behind its batch dims, and optionally swaps the matrix dims. */
function batchTransposePerm(rank: number, transposeMatrix: boolean): number[] {
  const batch = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  return transposeMatrix ? [...batch, rank - 1, 0] : [...batch, 0, rank - 1];
}

/**
 * FusedMatMul(A, B): alpha · A' @ B' with numpy broadcasting, where A' transposes A's last two
 * dims (transA) and transBatchA moves A's first dim to just before its last (so [M, B, K] is
 * read as [B, M, K]); likewise for B.
 */
const fusedMatMul: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, ["alpha", "transA", "transB", "transBatchA", "transBatchB"]);
  const operand = (i: 0 | 1) => {
    const [side, x] = [i === 0 ? "A" : "B", input(ctx, node, i)];
    const trans = node.attrs.int(`trans${side}`, 0) !== 0;
    const transBatch = node.attrs.int(`transBatch${side}`, 0) !== 0;
    const rank = ctx.rank(x);
    if (transBatch) {
      if (rank < 3) throw new UnsupportedOpError(`${ctx.where()}: FusedMatMul's transBatch${side} needs ${side} of rank 3 or more, got rank ${rank}`);
      return ctx.op("permute", [x], { dims: batchTransposePerm(rank, trans) });
    }
    if (!trans) return x;
    if (rank < 2) throw new UnsupportedOpError(`${ctx.where()}: FusedMatMul's trans${side} needs ${side} of rank 2 or more, got rank ${rank}`);
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
    return ctx.op("permute", [x], { dims: perm });
  };
  const alpha = node.attrs.float("alpha", 1);
  const y = matmulOf(ctx, operand(0), operand(1), alpha === 1 ? output(node) : undefined);
  if (alpha !== 1) bin(ctx, "mul", y, scalarLike(ctx, alpha, y), output(node));
};

/** Gelu (com.microsoft): the erf form, 0.5·x·(1 + erf(x/√2)). */
const gelu: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, []);
  geluOf(ctx, input(ctx, node, 0), false, output(node));
};

export const ORT_FUSED_IMPORTERS: Record<string, OpImporter> = {
  FusedConv: fusedConv,
  FusedGemm: fusedGemm,
  FusedMatMul: fusedMatMul,
  Gelu: gelu,
};
