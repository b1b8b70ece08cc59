import { DTypeError, UnsupportedOpError } from "@polychip/hal";
import { dtypeForOnnx, onnxTypeForDType } from "../../tensor.ts";
import { DataType } from "../../proto/types.ts";
import { bin, castTo, input, optionalInput, output, scalarLike, type OpImporter } from "./helpers.ts";
import { castTargetCode, legacyBroadcastOperand } from "./legacy.ts";
import { castToLowPrecision, isLowPrecisionType } from "./low-precision-cast.ts";

/** ONNX ops that are one HAL unary op. */
const UNARY: Record<string, string> = {
  Abs: "abs",
  Neg: "neg",
  Exp: "exp",
  Log: "log",
  Sqrt: "sqrt",
  Sin: "sin",
  Cos: "cos",
  Tanh: "tanh",
  Sigmoid: "sigmoid",
  Relu: "relu",
  Erf: "erf",
  Floor: "floor",
  Ceil: "ceil",
  Round: "round",
  Sign: "sign",
  IsNaN: "isNaN",
  Not: "logicalNot",
};

/** ONNX ops that are one HAL binary op (numpy broadcasting in both since opset 7; before, a `broadcast` flag). */
const BINARY: Record<string, string> = {
  Add: "add",
  Sub: "sub",
  Mul: "mul",
  Div: "div",
  Equal: "equal",
  Less: "less",
  Greater: "greater",
  LessOrEqual: "lessEqual",
  GreaterOrEqual: "greaterEqual",
  And: "logicalAnd",
  Or: "logicalOr",
  Xor: "logicalXor",
};

const unary =
  (op: string): OpImporter =>
  (ctx, node) => {
    ctx.op(op, [input(ctx, node, 0)], {}, output(node));
  };

const binary =
  (op: string): OpImporter =>
  (ctx, node) => {
    const a = input(ctx, node, 0);
    bin(ctx, op, a, legacyBroadcastOperand(ctx, node, a, input(ctx, node, 1)), output(node));
  };

/** Max/Min/Sum (variadic, broadcasting): a left fold. */
const variadic =
  (op: string): OpImporter =>
  (ctx, node) => {
    const ins = node.inputs.filter((n) => n);
    if (ins.length === 0) throw new DTypeError(`${ctx.where()}: needs at least one input`);
    let acc = ins[0]!;
    for (let i = 1; i < ins.length; i++) acc = bin(ctx, op, acc, ins[i]!, i === ins.length - 1 ? output(node) : undefined);
    ctx.bind(output(node), acc);
  };

const mean: OpImporter = (ctx, node) => {
  const ins = node.inputs.filter((n) => n);
  if (ins.length === 0) throw new DTypeError(`${ctx.where()}: needs at least one input`);
  let acc = ins[0]!;
  for (let i = 1; i < ins.length; i++) acc = bin(ctx, "add", acc, ins[i]!);
  bin(ctx, "div", acc, scalarLike(ctx, ins.length, acc), output(node));
};

const pow: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  // Since opset 12 the exponent may have another type than the base.
  const exponent = legacyBroadcastOperand(ctx, node, x, input(ctx, node, 1));
  bin(ctx, "pow", x, castTo(ctx, exponent, ctx.dtype(x)), output(node));
};

const mod: OpImporter = (ctx, node) => {
  const fmod = node.attrs.int("fmod", 0) === 1;
  bin(ctx, fmod ? "fmod" : "mod", input(ctx, node, 0), input(ctx, node, 1), output(node));
};

const where: OpImporter = (ctx, node) => {
  ctx.op("where", [input(ctx, node, 0), input(ctx, node, 1), input(ctx, node, 2)], {}, output(node));
};

/**
 * Cast and CastLike into `to`. The low-precision types (bfloat16, float8, float4, e8m0, 4/2-bit
 * ints) are rounded as ONNX specifies and held in a wider dtype; the output's ONNX type is
 * recorded so later ops (QuantizeLinear's range, the session's outputs) know what it holds.
 */
function castInto(ctx: Parameters<OpImporter>[0], node: Parameters<OpImporter>[1], x: string, to: number): void {
  if (to === DataType.STRING) throw new UnsupportedOpError(`${ctx.where()}: casting to STRING is not supported`);
  const out = output(node);
  if (out) ctx.declaredTypes.set(out, to);
  if (isLowPrecisionType(to) && ctx.declaredTypes.get(x) !== to) {
    const how = { saturate: node.attrs.int("saturate", 1) !== 0, roundMode: node.attrs.string("round_mode") ?? "up" };
    castToLowPrecision(ctx, x, to, how, out);
    return;
  }
  const dtype = dtypeForOnnx(to, ctx.where());
  ctx.bind(out, ctx.dtype(x) === dtype ? x : ctx.op("cast", [x], { to: dtype }, out));
}

const cast: OpImporter = (ctx, node) => {
  castInto(ctx, node, input(ctx, node, 0), castTargetCode(ctx, node));
};

const castLike: OpImporter = (ctx, node) => {
  const like = input(ctx, node, 1);
  castInto(ctx, node, input(ctx, node, 0), ctx.declaredTypes.get(like) ?? onnxTypeForDType(ctx.dtype(like)));
};

/** Clip: bounds are attributes before opset 11, optional inputs since. */
const clip: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  let lo: string | undefined;
  let hi: string | undefined;
  if (node.opset < 11) {
    const min = node.attrs.float("min");
    const max = node.attrs.float("max");
    if (min !== undefined) lo = scalarLike(ctx, min, x);
    if (max !== undefined) hi = scalarLike(ctx, max, x);
  } else {
    lo = optionalInput(node, 1);
    hi = optionalInput(node, 2);
  }
  let y = x;
  if (lo) y = bin(ctx, "maximum", y, castTo(ctx, lo, ctx.dtype(x)), hi ? undefined : output(node));
  if (hi) y = bin(ctx, "minimum", y, castTo(ctx, hi, ctx.dtype(x)), output(node));
  ctx.bind(output(node), y);
};

/** Reciprocal(Sqrt(x)) with no other reader of the Sqrt is rsqrt (how the exporter writes rsqrt: round trips stay exact). */
const reciprocal: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const sqrt = ctx.producer(x);
  if (sqrt?.op === "sqrt" && ctx.onnxUses.get(x) === 1) ctx.op("rsqrt", [sqrt.inputs[0]!], {}, output(node));
  else ctx.op("reciprocal", [x], {}, output(node));
};

/** IsInf: |x| = ∞, narrowed by detect_positive / detect_negative. */
const isInf: OpImporter = (ctx, node) => {
  const x = input(ctx, node, 0);
  const positive = node.attrs.int("detect_positive", 1) === 1;
  const negative = node.attrs.int("detect_negative", 1) === 1;
  const inf = scalarLike(ctx, Infinity, x);
  if (positive && negative) bin(ctx, "equal", ctx.op("abs", [x]), inf, output(node));
  else if (positive) bin(ctx, "equal", x, inf, output(node));
  else if (negative) bin(ctx, "equal", x, ctx.op("neg", [inf]), output(node));
  else ctx.op("fill", [], { shape: ctx.shape(x, "IsInf"), dtype: "bool", value: 0 }, output(node));
};

const identity: OpImporter = (ctx, node) => {
  ctx.bind(output(node), input(ctx, node, 0));
};

export const ELEMENTWISE_IMPORTERS: Record<string, OpImporter> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([k, v]) => [k, unary(v)])),
  ...Object.fromEntries(Object.entries(BINARY).map(([k, v]) => [k, binary(v)])),
  Max: variadic("maximum"),
  Min: variadic("minimum"),
  Sum: variadic("add"),
  Mean: mean,
  Pow: pow,
  Mod: mod,
  Where: where,
  Cast: cast,
  CastLike: castLike,
  Clip: clip,
  Identity: identity,
  Reciprocal: reciprocal,
  IsInf: isInf,
};
