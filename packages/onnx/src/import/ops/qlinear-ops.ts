import { DTypeError, FormatError, ShapeError } from "@polychip/hal";
import { DataType } from "../../proto/types.ts";
import type { ImportContext, OnnxNode } from "../context.ts";
import { ACTIVATION_IMPORTERS } from "./activations.ts";
import { axisOf, bin, castTo, input, optionalInput, output, refuseUnknownAttributes, un, type OpImporter } from "./helpers.ts";
import { integerMatmulOf } from "./integer-matmul.ts";
import { NORMALIZATION_IMPORTERS } from "./normalization.ts";
import { POOL_IMPORTERS } from "./pool.ts";
import { requantize, requantizeMultiplier, targetOf, type Target } from "./quantize.ts";

/**
 * onnxruntime's QOperator-format ops (com.microsoft QLinearAdd, QLinearMul, QLinearAveragePool,
 * QLinearGlobalAveragePool, QLinearConcat, QLinearSigmoid, QLinearLeakyRelu, QLinearSoftmax,
 * QGemm, QLinearWhere), written by onnxruntime.quantization's quantize_static(quant_format=QOperator)
 * or by onnxruntime's optimiser from QDQ models. Each
 * dequantises its 8-bit operands into float32, runs the float op, and quantises the result
 * (round half to even, saturate), ordering the float arithmetic as onnxruntime's kernels do
 * where that decides a rounding (QLinearAdd's scale ratios, QLinearMul's folded multiplier).
 */

const EIGHT_BIT_TYPES: Partial<Record<string, number>> = { uint8: DataType.UINT8, int8: DataType.INT8 };

/** The int8/uint8 type of a quantised operand (quantize.ts's target for it), refused otherwise. */
function eightBit(ctx: ImportContext, x: string): Target {
  const type = EIGHT_BIT_TYPES[ctx.dtype(x)];
  if (type === undefined) throw new DTypeError(`${ctx.where()}: '${x}' is ${ctx.dtype(x)}, expected int8 or uint8`);
  return targetOf(ctx, type);
}

/** A per-tensor scale (one element), as float32. */
function scaleOf(ctx: ImportContext, s: string): string {
  const dims = ctx.dims(s);
  if (dims.length > 1 || (dims.length === 1 && dims[0] !== 1))
    throw new ShapeError(`${ctx.where()}: scale '${s}' must be a scalar or hold one element, got [${dims.join(", ")}]`);
  if (ctx.dtype(s) !== "float32") throw new DTypeError(`${ctx.where()}: scale '${s}' must be float32, got ${ctx.dtype(s)}`);
  return s;
}

/** A per-tensor zero point of the operand's type, as float32; undefined when absent (zero). */
function zeroPointOf(ctx: ImportContext, node: OnnxNode, i: number, like: Target): string | undefined {
  const zp = optionalInput(node, i);
  if (!zp) return undefined;
  const dims = ctx.dims(zp);
  if (dims.length > 1 || (dims.length === 1 && dims[0] !== 1))
    throw new ShapeError(`${ctx.where()}: zero point '${zp}' must be a scalar or hold one element, got [${dims.join(", ")}]`);
  if (ctx.dtype(zp) !== like.dtype) throw new DTypeError(`${ctx.where()}: zero point '${zp}' is ${ctx.dtype(zp)}, expected ${like.dtype} like its tensor`);
  return castTo(ctx, zp, "float32");
}

/** (x − zp) in float32 (exact for 8-bit values). */
function centred(ctx: ImportContext, x: string, zp: string | undefined): string {
  const f = castTo(ctx, x, "float32");
  return zp ? bin(ctx, "sub", f, zp) : f;
}

/** (x − zp) · scale. */
function dequantized(ctx: ImportContext, x: string, scale: string, zp: string | undefined): string {
  return bin(ctx, "mul", centred(ctx, x, zp), scale);
}

/** saturate(round(v / scale) + zp) into `target`, zp a float32 scalar or absent. */
function quantized(ctx: ImportContext, v: string, scale: string, zp: string | undefined, target: Target, out: string | undefined): string {
  return requantize(ctx, bin(ctx, "div", v, scale), zp, target, out);
}

/** The (X, X_scale, X_zero_point, Y_scale, Y_zero_point) operands of the unary ops. */
function unaryOperands(ctx: ImportContext, node: OnnxNode) {
  const x = input(ctx, node, 0);
  const target = eightBit(ctx, x);
  return {
    x: dequantized(ctx, x, scaleOf(ctx, input(ctx, node, 1)), zeroPointOf(ctx, node, 2, target)),
    yScale: scaleOf(ctx, input(ctx, node, 3)),
    yZp: zeroPointOf(ctx, node, 4, target),
    target,
  };
}

/** A float op imported by its default-domain importer on `x`: the name of its result. */
function floatOp(ctx: ImportContext, node: OnnxNode, importer: OpImporter, opType: string, x: string, opset = 19): string {
  const y = ctx.fresh(`${output(node) ?? opType}_float`);
  importer(ctx, { ...node, opType, domain: "", opset, inputs: [x], outputs: [y] });
  return y;
}

/** A quantised unary op: dequantise, the float op, quantise. */
function unary(opType: string, importer: OpImporter): OpImporter {
  return (ctx, node) => {
    const { x, yScale, yZp, target } = unaryOperands(ctx, node);
    quantized(ctx, floatOp(ctx, node, importer, opType, x), yScale, yZp, target, output(node));
  };
}

/** The binary ops' operands: A, B (both of one 8-bit type) and C's scale and zero point. */
function binaryOperands(ctx: ImportContext, node: OnnxNode) {
  const [a, b] = [input(ctx, node, 0), input(ctx, node, 3)];
  const target = eightBit(ctx, a);
  if (ctx.dtype(b) !== target.dtype) throw new DTypeError(`${ctx.where()}: A is ${target.dtype} but B is ${ctx.dtype(b)}`);
  return {
    a,
    b,
    aScale: scaleOf(ctx, input(ctx, node, 1)),
    aZp: zeroPointOf(ctx, node, 2, target),
    bScale: scaleOf(ctx, input(ctx, node, 4)),
    bZp: zeroPointOf(ctx, node, 5, target),
    cScale: scaleOf(ctx, input(ctx, node, 6)),
    cZp: zeroPointOf(ctx, node, 7, target),
    target,
  };
}

/**
 * QLinearAdd: c = a·(sa/sc) + b·(sb/sc) + (zc − (sa/sc)·za − (sb/sc)·zb), in float32 in
 * onnxruntime's order (its x86 kernels), then rounded half to even and saturated.
 */
const qLinearAdd: OpImporter = (ctx, node) => {
  const o = binaryOperands(ctx, node);
  const ratioA = bin(ctx, "div", o.aScale, o.cScale);
  const ratioB = bin(ctx, "div", o.bScale, o.cScale);
  const zero = ctx.scalar(0, "float32");
  const shift = bin(ctx, "add", bin(ctx, "mul", ratioA, o.aZp ?? zero), bin(ctx, "mul", ratioB, o.bZp ?? zero));
  const fixed = bin(ctx, "sub", o.cZp ?? zero, shift);
  const sum = bin(
    ctx,
    "add",
    bin(ctx, "add", fixed, bin(ctx, "mul", castTo(ctx, o.a, "float32"), ratioA)),
    bin(ctx, "mul", castTo(ctx, o.b, "float32"), ratioB),
  );
  requantize(ctx, sum, undefined, o.target, output(node));
};

/** QLinearMul: c = round((a − za)(b − zb) · float32(sa·sb / sc) + zc), the product exact in float32. */
const qLinearMul: OpImporter = (ctx, node) => {
  const o = binaryOperands(ctx, node);
  const ratio = requantizeMultiplier(ctx, o.aScale, o.bScale, o.cScale);
  const product = bin(ctx, "mul", centred(ctx, o.a, o.aZp), centred(ctx, o.b, o.bZp));
  const scaled = bin(ctx, "mul", product, ratio);
  // onnxruntime adds the zero point in float32 before rounding: that sum's rounding decides near-ties.
  requantize(ctx, o.cZp ? bin(ctx, "add", scaled, o.cZp) : scaled, undefined, o.target, output(node));
};

/** NHWC → NCHW (channels_last = 1) and back, for the pooling ops. */
function channelsFirst(ctx: ImportContext, x: string): string {
  const r = ctx.rank(x);
  return ctx.op("permute", [x], { dims: [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)] });
}
function channelsLast(ctx: ImportContext, x: string): string {
  const r = ctx.rank(x);
  return ctx.op("permute", [x], { dims: [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1] });
}

/** A quantised pooling op (AveragePool's attributes, plus channels_last). */
function pool(opType: "AveragePool" | "GlobalAveragePool"): OpImporter {
  return (ctx, node) => {
    const { x, yScale, yZp, target } = unaryOperands(ctx, node);
    if (ctx.rank(x) < 3) throw new ShapeError(`${ctx.where()}: X must be at least 3-D, got ${ctx.rank(x)}-D`);
    const last = node.attrs.int("channels_last", 0) === 1;
    const pooled = floatOp(ctx, node, POOL_IMPORTERS[opType]!, opType, last ? channelsFirst(ctx, x) : x);
    const scaled = bin(ctx, "div", last ? channelsLast(ctx, pooled) : pooled, yScale);
    // onnxruntime's pooling kernels add the zero point before rounding: it decides ties' parity.
    requantize(ctx, yZp ? bin(ctx, "add", scaled, yZp) : scaled, undefined, target, output(node));
  };
}

/** QLinearConcat(Y_scale, Y_zero_point, (X, X_scale, X_zero_point)…): each input requantised to Y's scale, then joined. */
const qLinearConcat: OpImporter = (ctx, node) => {
  const triples = node.inputs.length - 2;
  if (triples < 3 || triples % 3 !== 0)
    throw new FormatError(`${ctx.where()}: expects Y_scale, Y_zero_point, then (tensor, scale, zero point) triples, got ${node.inputs.length} inputs`);
  const first = input(ctx, node, 2);
  const target = eightBit(ctx, first);
  const yScale = scaleOf(ctx, input(ctx, node, 0));
  const yZp = zeroPointOf(ctx, node, 1, target);
  const axisAttr = node.attrs.int("axis");
  if (axisAttr === undefined) throw new FormatError(`${ctx.where()}: missing attribute 'axis'`);
  const axis = axisOf(ctx, axisAttr, ctx.rank(first));
  const parts: string[] = [];
  for (let i = 2; i < node.inputs.length; i += 3) {
    const x = input(ctx, node, i);
    if (ctx.dtype(x) !== target.dtype) throw new DTypeError(`${ctx.where()}: input '${x}' is ${ctx.dtype(x)}, expected ${target.dtype} like the first`);
    parts.push(
      quantized(ctx, dequantized(ctx, x, scaleOf(ctx, input(ctx, node, i + 1)), zeroPointOf(ctx, node, i + 2, target)), yScale, yZp, target, undefined),
    );
  }
  if (parts.length === 1) ctx.bind(output(node), parts[0]!);
  else ctx.op("concat", parts, { axis }, output(node));
};

/** QLinearSoftmax: Softmax of the dequantised input; the `opset` attribute picks Softmax's axis semantics (2-D coercion before 13). */
const qLinearSoftmax: OpImporter = (ctx, node) => {
  const { x, yScale, yZp, target } = unaryOperands(ctx, node);
  const opset = node.attrs.int("opset");
  if (opset === undefined) throw new FormatError(`${ctx.where()}: missing attribute 'opset'`);
  quantized(ctx, floatOp(ctx, node, NORMALIZATION_IMPORTERS.Softmax!, "Softmax", x, opset), yScale, yZp, target, output(node));
};

/**
 * QGemm(A, a_scale, a_zp, B, b_scale, b_zp, C?, y_scale?, y_zp?): the exact int32 product of the
 * centred operands (transA/transB) plus the int32 bias C, scaled by alpha·a_scale·b_scale (b_scale
 * per tensor or per column); quantised with y_scale and y_zp when y_scale is given, else float32.
 */
const qGemm: OpImporter = (ctx, node) => {
  let [a, b] = [input(ctx, node, 0), input(ctx, node, 3)];
  eightBit(ctx, a);
  eightBit(ctx, b);
  if (ctx.rank(a) !== 2 || ctx.rank(b) !== 2) throw new ShapeError(`${ctx.where()}: A and B must be 2-D, got ${ctx.rank(a)}-D and ${ctx.rank(b)}-D`);
  const aZp = optionalInput(node, 2);
  const bZp = optionalInput(node, 5);
  const aScale = scaleOf(ctx, input(ctx, node, 1));
  const bScale = input(ctx, node, 4);
  const bDims = ctx.dims(bScale);
  if (bDims.length > 1 || ctx.dtype(bScale) !== "float32")
    throw new ShapeError(`${ctx.where()}: b_scale must be a float32 scalar or 1-D, got [${bDims.join(", ")}] ${ctx.dtype(bScale)}`);
  if (node.attrs.int("transA", 0)) a = ctx.op("permute", [a], { dims: [1, 0] });
  if (node.attrs.int("transB", 0)) b = ctx.op("permute", [b], { dims: [1, 0] });
  let acc = integerMatmulOf(ctx, a, b, aZp, bZp);
  const bias = optionalInput(node, 6);
  if (bias) {
    if (ctx.dtype(bias) !== "int32") throw new DTypeError(`${ctx.where()}: C must be int32, got ${ctx.dtype(bias)}`);
    acc = bin(ctx, "add", acc, bias);
  }
  const alpha = node.attrs.float("alpha", 1);
  const scale = bin(ctx, "mul", bin(ctx, "mul", ctx.scalar(alpha, "float32"), aScale), bScale);
  const yScale = optionalInput(node, 7);
  const accF = castTo(ctx, acc, "float32");
  if (!yScale) {
    bin(ctx, "mul", accF, scale, output(node));
    return;
  }
  const yZp = optionalInput(node, 8);
  const target = yZp ? eightBit(ctx, yZp) : targetOf(ctx, DataType.UINT8);
  const zp = yZp ? castTo(ctx, yZp, "float32") : undefined;
  requantize(ctx, bin(ctx, "mul", accF, bin(ctx, "div", scale, scaleOf(ctx, yScale))), zp, target, output(node));
};

/**
 * QLinearWhere(condition, X, x_scale, x_zp, Y, y_scale, y_zp, z_scale, z_zp), written by
 * onnxruntime's QDQ fusion: each of X and Y requantised to Z's scale and zero point (onnxruntime's
 * lookup tables hold exactly quantize(dequantize(v))), chosen by the condition.
 */
const qLinearWhere: OpImporter = (ctx, node) => {
  refuseUnknownAttributes(ctx, node, []);
  const cond = input(ctx, node, 0);
  if (ctx.dtype(cond) !== "bool") throw new DTypeError(`${ctx.where()}: condition must be bool, got ${ctx.dtype(cond)}`);
  const [x, y] = [input(ctx, node, 1), input(ctx, node, 4)];
  const target = eightBit(ctx, x);
  if (ctx.dtype(y) !== target.dtype) throw new DTypeError(`${ctx.where()}: X is ${target.dtype} but Y is ${ctx.dtype(y)}`);
  const zScale = scaleOf(ctx, input(ctx, node, 7));
  const zZp = zeroPointOf(ctx, node, 8, target);
  const requantized = (v: string, i: number) =>
    quantized(ctx, dequantized(ctx, v, scaleOf(ctx, input(ctx, node, i + 1)), zeroPointOf(ctx, node, i + 2, target)), zScale, zZp, target, undefined);
  ctx.op("where", [cond, requantized(x, 1), requantized(y, 4)], {}, output(node));
};

export const QLINEAR_IMPORTERS: Record<string, OpImporter> = {
  QLinearAdd: qLinearAdd,
  QLinearMul: qLinearMul,
  QLinearAveragePool: pool("AveragePool"),
  QLinearGlobalAveragePool: pool("GlobalAveragePool"),
  QLinearConcat: qLinearConcat,
  QLinearSigmoid: (ctx, node) => {
    const { x, yScale, yZp, target } = unaryOperands(ctx, node);
    quantized(ctx, un(ctx, "sigmoid", x), yScale, yZp, target, output(node));
  },
  QLinearLeakyRelu: unary("LeakyRelu", ACTIVATION_IMPORTERS.LeakyRelu!),
  QLinearSoftmax: qLinearSoftmax,
  QLinearWhere: qLinearWhere,
  QGemm: qGemm,
};
