import { DTypeError, UnsupportedOpError, type DType } from "@polychip/hal";
import type { ImportContext, OnnxNode } from "../context.ts";
import { axisOf, bin, castTo, input, optionalInput, output, scalarLike, un, type OpImporter } from "./helpers.ts";
import { integerConvOf } from "./integer-conv.ts";
import { integerMatmulOf } from "./integer-matmul.ts";
import { noteDequantizedWeight } from "./matmul-dequantized.ts";

/**
 * Linear (de)quantisation of QDQ and QOperator models, per tensor or per axis, in uint8 or int8:
 * q = saturate(round(x / scale) + zero_point) with round half to even, x = (q − zero_point)·scale.
 * QLinearMatMul sums its integer products exactly in int32 (integerMatmul), then requantises with
 * scale_a·scale_b / scale_y as onnxruntime does; the convolutions sum in int32 too (integer-conv.ts).
 */

const RANGE: Partial<Record<DType, [number, number]>> = { uint8: [0, 255], int8: [-128, 127] };

/** A per-axis [C] parameter reshaped to broadcast along `axis` of a rank-r value; scalars stay. */
function alongAxis(ctx: ImportContext, node: OnnxNode, p: string, x: string): string {
  if (ctx.rank(p) === 0 || (ctx.rank(p) === 1 && ctx.dims(p)[0] === 1 && ctx.rank(x) !== 1)) return p;
  if (ctx.rank(p) !== 1) throw new UnsupportedOpError(`${ctx.where()}: blocked quantisation (a ${ctx.rank(p)}-D scale) is not supported`);
  const rank = ctx.rank(x);
  const axis = axisOf(ctx, node.attrs.int("axis", 1), rank);
  const trailing = rank - 1 - axis;
  return trailing === 0 ? p : ctx.op("unsqueeze", [p], { axes: Array.from({ length: trailing }, (_, i) => i + 1) });
}

/** saturate(round(v) + zero point) into `dtype` (v already divided by the scale). */
function requantize(ctx: ImportContext, v: string, zp: string | undefined, dtype: DType, out: string | undefined): string {
  const range = RANGE[dtype];
  if (!range) throw new DTypeError(`${ctx.where()}: quantising to ${dtype} is not supported (uint8, int8)`);
  let q = un(ctx, "round", v);
  if (zp) q = bin(ctx, "add", q, castTo(ctx, zp, ctx.dtype(v)));
  q = bin(ctx, "minimum", bin(ctx, "maximum", q, scalarLike(ctx, range[0], v)), scalarLike(ctx, range[1], v));
  return ctx.op("cast", [q], { to: dtype }, out);
}

const quantizeLinear: OpImporter = (ctx, node) => {
  if (node.attrs.int("block_size", 0) > 0) throw new UnsupportedOpError(`${ctx.where()}: blocked quantisation is not supported`);
  const x = input(ctx, node, 0);
  const zp = optionalInput(node, 2);
  const dtype = zp ? ctx.dtype(zp) : ((node.attrs.int("output_dtype", 0) === 3 ? "int8" : "uint8") as DType);
  const scaled = bin(ctx, "div", x, castTo(ctx, alongAxis(ctx, node, input(ctx, node, 1), x), ctx.dtype(x)));
  requantize(ctx, scaled, zp ? alongAxis(ctx, node, zp, x) : undefined, dtype, output(node));
};

const dequantizeLinear: OpImporter = (ctx, node) => {
  if (node.attrs.int("block_size", 0) > 0) throw new UnsupportedOpError(`${ctx.where()}: blocked quantisation is not supported`);
  const x = input(ctx, node, 0);
  const scale = alongAxis(ctx, node, input(ctx, node, 1), x);
  let v = castTo(ctx, x, ctx.dtype(scale));
  const zp = optionalInput(node, 2);
  if (zp) v = bin(ctx, "sub", v, castTo(ctx, alongAxis(ctx, node, zp, x), ctx.dtype(scale)));
  bin(ctx, "mul", v, scale, output(node));
  noteDequantizedWeight(ctx, node, output(node));
};

/** QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp): per-tensor scales. */
const qLinearMatMul: OpImporter = (ctx, node) => {
  const [a, as, azp, b, bs, bzp, ys, yzp] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => input(ctx, node, i)) as string[];
  const acc = castTo(ctx, integerMatmulOf(ctx, a!, b!, azp, bzp), "float32");
  const scales = [as, bs, ys].map((s) => ctx.constant(s!));
  if (scales.some((s) => !s || s.data.length !== 1)) throw new UnsupportedOpError(`${ctx.where()}: per-tensor scales known at import are needed`);
  // float32(scale_a · scale_b / scale_y), the multiplier onnxruntime requantises with.
  const multiplier = Math.fround(Math.fround(scales[0]!.data[0]! * scales[1]!.data[0]!) / scales[2]!.data[0]!);
  requantize(ctx, bin(ctx, "mul", acc, ctx.scalar(multiplier, "float32")), yzp, ctx.dtype(yzp!), output(node));
};

/**
 * QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B): the exact int32 convolution
 * of the centred operands plus the int32 bias, requantised per output channel with
 * float32(x_scale · w_scale[c] / y_scale).
 */
const qLinearConv: OpImporter = (ctx, node) => {
  const [x, xs, xzp, w, ws, wzp, ys, yzp] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => input(ctx, node, i)) as string[];
  const bias = optionalInput(node, 8);
  let sum = integerConvOf(ctx, node, x!, xzp, w!, wzp);
  const rank = ctx.rank(sum);
  if (bias) sum = bin(ctx, "add", sum, ctx.op("reshape", [castTo(ctx, bias, "int32")], { shape: [-1, ...new Array<number>(rank - 2).fill(1)] }));
  const acc = castTo(ctx, sum, "float32");
  const [xScale, wScale, yScale] = [xs, ws, ys].map((s) => ctx.constant(s!));
  if (!xScale || !wScale || !yScale) throw new UnsupportedOpError(`${ctx.where()}: scales known at import are needed`);
  const multipliers = Array.from(wScale.data, (v) => Math.fround(Math.fround(xScale.data[0]! * v) / yScale.data[0]!));
  const multiplier = ctx.const(multipliers, multipliers.length === 1 ? [] : [multipliers.length, ...new Array<number>(rank - 2).fill(1)], "float32");
  requantize(ctx, bin(ctx, "mul", acc, multiplier), yzp, ctx.dtype(yzp!), output(node));
};

/** ConvInteger(x, w, x_zero_point?, w_zero_point?): the exact int32 convolution of the centred operands (dynamically quantised exports). */
const convInteger: OpImporter = (ctx, node) => {
  ctx.bind(output(node), integerConvOf(ctx, node, input(ctx, node, 0), optionalInput(node, 2), input(ctx, node, 1), optionalInput(node, 3)));
};

export const QUANTIZE_IMPORTERS: Record<string, OpImporter> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  QLinearMatMul: qLinearMatMul,
  QLinearConv: qLinearConv,
  ConvInteger: convInteger,
};
